import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomFillSync } from 'node:crypto';
import { digitCombine, digitLayout, digitOpen, digitTables, tableBytes, varBytes } from '../../src/smpc/digit-compare.js';

const random = (n: number): Uint8Array => randomFillSync(new Uint8Array(n));

/** Both parties' shares of [x < r] for one r per x (words hi, lo). */
function compare(k: number, r: number[], x: number[]): number[] {
  const n = x.length;
  const words = (v: number[]): [Uint32Array, Uint32Array] => [Uint32Array.from(v, (a) => Math.floor(a / 2 ** 32)), Uint32Array.from(v, (a) => a >>> 0)];
  const [rhi, rlo] = words(r);
  const [xhi, xlo] = words(x);
  const m0 = random(varBytes(k, n));
  const m1 = random(varBytes(k, n));
  const t0 = random(tableBytes(k, n));
  const t1 = digitTables(rhi, rlo, k, m0.map((b, i) => b ^ m1[i]!), t0);
  const o0 = digitOpen(k, t0, m0, xhi, xlo);
  const o1 = digitOpen(k, t1, m1, xhi, xlo);
  const c0 = digitCombine(k, t0, xhi, xlo, o0, o1);
  const c1 = digitCombine(k, t1, xhi, xlo, o0, o1);
  return Array.from(c0, (c, i) => c ^ c1[i]!);
}

test('digit comparison: exhaustive over every x and r for k = 1 .. 9', () => {
  for (let k = 1; k <= 9; k++) {
    const r: number[] = [];
    const x: number[] = [];
    for (let a = 0; a < 2 ** k; a++) for (let b = 0; b < 2 ** k; b++) (r.push(a), x.push(b));
    const got = compare(k, r, x);
    got.forEach((c, i) => assert.equal(c, x[i]! < r[i]! ? 1 : 0, `k ${k}: [${x[i]} < ${r[i]}]`));
  }
});

test('digit comparison: wide values (k = 20, 33, 52) at random and at the edges, digits split as documented', () => {
  for (const k of [20, 33, 52]) {
    const top = 2 ** k - 1;
    const r: number[] = [];
    const x: number[] = [];
    for (const [a, b] of [[0, 0], [0, top], [top, 0], [top, top], [1, 0], [0, 1], [top - 1, top], [2 ** 31, 2 ** 31 - 1], [2 ** 32, 2 ** 32 - 1]]) (r.push(Math.min(a!, top)), x.push(Math.min(b!, top)));
    for (let i = 0; i < 3000; i++) {
      const a = Math.floor(Math.random() * 2 ** k);
      r.push(a);
      // Half near r: equal high digits exercise the products.
      x.push(i % 2 ? Math.floor(Math.random() * 2 ** k) : Math.max(0, Math.min(top, a + Math.floor((Math.random() - 0.5) * 64))));
    }
    const got = compare(k, r, x);
    got.forEach((c, i) => assert.equal(c, x[i]! < r[i]! ? 1 : 0, `k ${k}: [${x[i]} < ${r[i]}]`));
    const l = digitLayout(k);
    assert.equal(l.widths.reduce((a, w) => a + w, 0), k);
    assert.equal(l.vars, 2 * l.widths.length - 2);
  }
  // 20 bits (a ResNet-18 ReLU): five digits of 4 bits, 8 opened bits, 144 + 60 table bits.
  assert.deepEqual(digitLayout(20).widths, [4, 4, 4, 4, 4]);
  assert.equal(digitLayout(20).tableBits, 204);
  assert.throws(() => digitLayout(53), /comparison width 53/);
});
