import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dcfEval, dcfGen } from '../../src/smpc/dcf.js';

test('DCF: exhaustive at 6 bits, every threshold against every input', () => {
  const bits = 6;
  const n = 1 << bits;
  const alpha = Float64Array.from({ length: n }, (_, a) => a);
  const [k0, k1] = dcfGen(alpha, bits);
  for (let x = 0; x < n; x++) {
    const xs = new Float64Array(n).fill(x);
    const e0 = dcfEval(k0, xs);
    const e1 = dcfEval(k1, xs);
    for (let a = 0; a < n; a++) assert.equal(e0[a]! ^ e1[a]!, x < a ? 1 : 0, `x=${x} alpha=${a}`);
  }
});

test('DCF: 39 bits, random thresholds, inputs at and around them and at the ends', () => {
  const bits = 39;
  const top = 2 ** bits;
  const alphas: number[] = [0, 1, top - 1, top - 2, 2 ** 38];
  for (let i = 0; i < 300; i++) alphas.push(Math.floor(Math.random() * top));
  for (const delta of [-1, 0, 1]) {
    const alpha = Float64Array.from(alphas);
    const x = Float64Array.from(alphas, (a) => Math.min(top - 1, Math.max(0, a + delta)));
    const [k0, k1] = dcfGen(alpha, bits);
    const e0 = dcfEval(k0, x);
    const e1 = dcfEval(k1, x);
    for (let i = 0; i < alpha.length; i++) assert.equal(e0[i]! ^ e1[i]!, x[i]! < alpha[i]! ? 1 : 0, `x=${x[i]} alpha=${alpha[i]}`);
  }
  const alpha = Float64Array.from(alphas);
  const [k0, k1] = dcfGen(alpha, bits);
  for (const x0 of [0, top - 1]) {
    const x = new Float64Array(alpha.length).fill(x0);
    const e0 = dcfEval(k0, x);
    const e1 = dcfEval(k1, x);
    for (let i = 0; i < alpha.length; i++) assert.equal(e0[i]! ^ e1[i]!, x0 < alpha[i]! ? 1 : 0);
  }
});

test('DCF: refuses inputs outside the domain', () => {
  const [k0] = dcfGen(Float64Array.of(3), 4);
  assert.throws(() => dcfEval(k0, Float64Array.of(16)), /not an integer in \[0, 2\^4\)/);
  assert.throws(() => dcfGen(Float64Array.of(1), 60), /comparison width 60/);
});
