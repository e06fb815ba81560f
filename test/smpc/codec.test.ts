import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeStep, encodeStep, stepBytes } from '../../src/smpc/codec.js';
import { digitLayout } from '../../src/smpc/digit-compare.js';
import { dealStep } from '../../src/smpc/dealer.js';
import { gateGen, type GateShare } from '../../src/smpc/gate.js';
import type { Plan, Step } from '../../src/smpc/plan.js';
import { reveal, runGatePair, shareSigned } from './helpers.js';

const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out;
};

test('gate material survives the wire layout (and the gate still computes relu), at several windows', () => {
  for (const window of [2, 5, 8, 9, 30, 40]) {
    const step: Step = { type: 'gate', spec: { count: 37, window, shift: 0, drop: 0 } };
    const keys = gateGen(step.spec);
    const decoded = keys.map((k, party) => {
      const bytes = concat(encodeStep({ type: 'gate', share: k }));
      assert.equal(bytes.byteLength, stepBytes(step, party as 0 | 1));
      const d = decodeStep(step, party as 0 | 1, bytes);
      assert.equal(d.type, 'gate');
      return d.share as GateShare;
    });
    const lim = 2 ** (window - 1);
    const values = Array.from({ length: 37 }, (_, i) => BigInt(i === 0 ? -lim : i === 1 ? lim - 1 : Math.floor(Math.random() * 2 * lim) - lim));
    const [z0, z1] = shareSigned(values);
    const { out } = runGatePair(decoded[0]!, decoded[1]!, z0, z1);
    const relu = reveal(out[0].relu, out[1].relu);
    values.forEach((z, i) => assert.equal(relu[i], z > 0n ? z : 0n, `window ${window}, z = ${z}`));
  }
});

test('material of the wrong length is refused with both lengths named', () => {
  const step: Step = { type: 'beaver', count: 2 };
  const [m0] = dealStep({} as Plan, step, new BigUint64Array(0));
  const bytes = concat(encodeStep(m0));
  assert.throws(() => decodeStep(step, 0, bytes.subarray(0, bytes.byteLength - 8)), /expected 32 bytes, got 24/);
});

test('truncating gate material (drop = shift) survives the wire layout; seeds replace the pseudorandom parts', () => {
  const step: Step = { type: 'gate', spec: { count: 50, window: 34, shift: 12, drop: 12 } };
  const keys = gateGen(step.spec);
  const decoded = keys.map((k, party) => {
    const bytes = concat(encodeStep({ type: 'gate', share: k }));
    assert.equal(bytes.byteLength, stepBytes(step, party as 0 | 1));
    return decodeStep(step, party as 0 | 1, bytes).share as GateShare;
  });
  // 21 compared bits: digits of 5, 4, 4, 4, 4 bits; the model owner gets their truth tables (32 + 2 x 4 x 16 bits),
  // the tables of the 4 products (32 + 16 + 8 + 4 bits) and its mask-bit share; the data owner 5 monomials; both a 16-byte seed.
  assert.deepEqual(digitLayout(21).widths, [5, 4, 4, 4, 4]);
  assert.equal(stepBytes(step, 1), 16 + Math.ceil(50 / 8) + Math.ceil((50 * (32 + 2 * 4 * 16 + 32 + 16 + 8 + 4)) / 8));
  assert.equal(stepBytes(step, 0), 16 + 50 * 40);
  const values = Array.from({ length: 50 }, (_, i) => BigInt(i === 0 ? 0 : Math.floor((Math.random() - 0.5) * 2 ** 30)));
  const [z0, z1] = shareSigned(values);
  const { out } = runGatePair(decoded[0]!, decoded[1]!, z0, z1);
  const relu = reveal(out[0].relu, out[1].relu);
  values.forEach((z, i) => {
    const d = relu[i]! - (z > 0n ? z >> 12n : 0n);
    assert.ok(d === 0n || (d === 1n && z >= 0n), `z = ${z}: relu >> 12 is ${relu[i]}`);
  });
});
