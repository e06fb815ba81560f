import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SecureBits } from '../../src/dp/mechanisms/secure-bits.js';
import { bernoulliExpMinusOne, bernoulliExpPow2, sampleDiscreteLaplace } from '../../src/dp/mechanisms/discrete-samplers.js';
import { assertChiSquare, assertFrequency, assertMeanNear } from './stats-helpers.js';

const bits = new SecureBits();

function count(n: number, draw: () => boolean): number {
  let k = 0;
  for (let i = 0; i < n; i++) if (draw()) k++;
  return k;
}

test('exact Bernoulli trials hit their probabilities', () => {
  const n = 40_000;
  assertFrequency(count(n, () => bits.bernoulli(0.1)), n, 0.1, 'bernoulli(0.1)');
  assertFrequency(count(n, () => bits.bernoulli(1 / 3)), n, 1 / 3, 'bernoulli(1/3)');
  assert.equal(count(1000, () => bits.bernoulli(0)), 0);
  assert.equal(count(1000, () => bits.bernoulli(1)), 1000);
  assertFrequency(count(n, () => bernoulliExpMinusOne(bits)), n, Math.exp(-1), 'exp(-1)');
  for (const [num, k] of [[77, 8], [5, 1], [3, 0], [2 ** 40 + 12345, 45]] as const) {
    assertFrequency(count(n, () => bernoulliExpPow2(bits, num, k)), n, Math.exp(-num / 2 ** k), `exp(-${num}/2^${k})`);
  }
});

test('uniform integers are uniform, also above 2^32', () => {
  const n = 60_000;
  const counts = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const v = bits.uniformInt(6);
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  assertChiSquare(counts, () => 1 / 6, [0, 1, 2, 3, 4, 5], n, 'uniformInt(6)');
  const big = 3 * 2 ** 40 + 7;
  let sum = 0;
  for (let i = 0; i < 20_000; i++) {
    const v = bits.uniformInt(big);
    assert.ok(Number.isInteger(v) && v >= 0 && v < big);
    sum += v / big;
  }
  assertMeanNear(sum / 20_000, 0.5, Math.sqrt(1 / 12), 20_000, 'uniformInt(3*2^40+7) / n');
});

test('the discrete Laplace with scale t/s matches its probability mass function', () => {
  const n = 60_000;
  const counts = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const y = sampleDiscreteLaplace(bits, 3, 2);
    counts.set(y, (counts.get(y) ?? 0) + 1);
  }
  const support = Array.from({ length: 61 }, (_, i) => i - 30);
  const z = support.reduce((s, x) => s + Math.exp((-Math.abs(x) * 2) / 3), 0);
  assertChiSquare(counts, (x) => Math.exp((-Math.abs(x) * 2) / 3) / z, support, n, 'discrete Laplace 3/2');
});
