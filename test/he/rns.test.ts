import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addInto, fromIntegers, mulSmallInto, rnsBasis, uniformPoly } from '../../src/he/rns.js';
import { seededRandom } from '../crypto/helpers.js';

const q = [1152921504606748673n, 1125899906826241n]; // the run's data primes [60, 50]
const b = rnsBasis(64, q);
const asBig = (x: Uint32Array) => Array.from(new BigUint64Array(x.buffer, x.byteOffset, x.length / 2));
const prime = (w: number) => q[Math.floor(w / b.n) % q.length]!;

test('add, subtract and small multiply agree with BigInt mod q_j, edges included', () => {
  const random = seededRandom('he/rns');
  for (const m of [0, 1, 2, 3, 50, 65535]) {
    const x = uniformPoly(b, random);
    const y = uniformPoly(b, random);
    // put the edges in: 0, 1, q - 1
    const xs = new BigUint64Array(x.buffer);
    xs[0] = 0n; xs[1] = q[0]! - 1n; xs[2] = 1n; xs[b.n] = q[1]! - 1n;
    const X = asBig(x);
    const Y = asBig(y);
    const s = Uint32Array.from(x);
    addInto(b, s, y);
    assert.deepEqual(asBig(s), X.map((v, w) => (v + Y[w]!) % prime(w)));
    const d = Uint32Array.from(x);
    addInto(b, d, y, -1);
    assert.deepEqual(asBig(d), X.map((v, w) => (v - Y[w]! + prime(w)) % prime(w)));
    const p = Uint32Array.from(x);
    mulSmallInto(b, p, m);
    assert.deepEqual(asBig(p), X.map((v, w) => (v * BigInt(m)) % prime(w)), `multiplier ${m}`);
    const h = Uint32Array.from(x);
    mulSmallInto(b, h, m, y);
    assert.deepEqual(asBig(h), X.map((v, w) => ((v + Y[w]!) * BigInt(m)) % prime(w)), `Horner step with multiplier ${m}`);
  }
});

test('integers become residues, negatives wrap to q - |v|', () => {
  const v = new Float64Array(64);
  v[0] = -1; v[1] = 2 ** 52; v[2] = -(2 ** 52); v[3] = 12345;
  const r = asBig(fromIntegers(b, v));
  for (let j = 0; j < 2; j++) {
    for (let k = 0; k < 4; k++) assert.equal(r[j * 64 + k], ((BigInt(v[k]!) % q[j]!) + q[j]!) % q[j]!);
  }
});
