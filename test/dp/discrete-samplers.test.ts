import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SecureBits } from '../../src/dp/mechanisms/secure-bits.js';
import { bernoulliExpMinusOne, bernoulliExpPow2, DiscreteGaussianPow2, sampleDiscreteLaplace } from '../../src/dp/mechanisms/discrete-samplers.js';
import { assertChiSquare, assertFrequency, assertMeanNear, moments } from './stats-helpers.js';

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

test('the discrete Gaussian with sigma 1 matches its probability mass function', () => {
  const g = new DiscreteGaussianPow2(bits, 0);
  const n = 60_000;
  const counts = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const y = g.sample();
    counts.set(y, (counts.get(y) ?? 0) + 1);
  }
  const support = Array.from({ length: 41 }, (_, i) => i - 20);
  const z = support.reduce((s, x) => s + Math.exp(-(x * x) / 2), 0);
  assertChiSquare(counts, (x) => Math.exp(-(x * x) / 2) / z, support, n, 'discrete Gaussian sigma 1');
});

test('the discrete Gaussian with a large power-of-two scale has mean 0, variance sigma^2 and Gaussian tails', () => {
  for (const m of [3, 20, 26]) {
    const g = new DiscreteGaussianPow2(bits, m);
    const n = 40_000;
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) values[i] = g.sample() / g.scale;
    const { mean, variance, kurtosis } = moments(values);
    assertMeanNear(mean, 0, 1, n, `mean (m=${m})`);
    // var of the sample variance of a normal: 2 sigma^4 / n
    assertMeanNear(variance, 1, Math.sqrt(2), n, `variance (m=${m})`);
    assert.ok(Math.abs(kurtosis - 3) < 0.15, `kurtosis ${kurtosis} (m=${m})`);
  }
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

test('no two sources give the same stream: there is no seed', () => {
  const a = new DiscreteGaussianPow2(new SecureBits(), 20);
  const b = new DiscreteGaussianPow2(new SecureBits(), 20);
  const xs = Array.from({ length: 8 }, () => a.sample());
  const ys = Array.from({ length: 8 }, () => b.sample());
  assert.notDeepEqual(xs, ys);
});
