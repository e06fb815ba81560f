import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { chooseGraphParameters } from '../../src/secagg/graph-parameters.js';
import { hypergeometricUpperTail } from '../../src/secagg/hypergeometric.js';
import { minimumThreshold, validateParams } from '../../src/secagg/params.js';
import { ids, makeParams } from './helpers.js';

function exactUpperTail(population: number, successes: number, draws: number, atLeast: number): number {
  const choose = (n: number, k: number): bigint => {
    if (k < 0 || k > n) return 0n;
    let r = 1n;
    for (let i = 0; i < k; i++) r = (r * BigInt(n - i)) / BigInt(i + 1);
    return r;
  };
  let hits = 0n;
  for (let x = Math.max(atLeast, 0); x <= draws; x++) hits += choose(successes, x) * choose(population - successes, draws - x);
  return Number((hits * 10n ** 30n) / choose(population, draws)) / 1e30;
}

test('hypergeometric tails match exact combinatorics', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 300 }), fc.nat(), fc.nat(), fc.nat(), (population, a, b, c) => {
      const successes = a % (population + 1);
      const draws = b % (population + 1);
      const atLeast = c % (draws + 2);
      const exact = exactUpperTail(population, successes, draws, atLeast);
      const approx = hypergeometricUpperTail(population, successes, draws, atLeast);
      assert.ok(Math.abs(approx - exact) <= 1e-12 + 1e-9 * exact, `HG(${population},${successes},${draws}) >= ${atLeast}: ${approx} vs ${exact}`);
    }),
    { numRuns: 300 },
  );
  // deep tail, large population: stays a tiny positive number
  const tail = hypergeometricUpperTail(1_000_000, 50_000, 100, 40);
  assert.ok(tail > 0 && tail < 1e-15, String(tail));
});

test('small federations get the complete graph with a majority threshold', () => {
  assert.deepEqual(chooseGraphParameters(2), { degree: 1, threshold: 2, complete: true });
  assert.deepEqual(chooseGraphParameters(3), { degree: 2, threshold: 2, complete: true });
  assert.deepEqual(chooseGraphParameters(10), { degree: 9, threshold: 6, complete: true });
});

test('large federations get a sparse graph whose degree grows like log n', () => {
  const degrees = [1e3, 1e4, 1e5, 1e6].map((n) => chooseGraphParameters(n).degree);
  for (const [i, n] of [1e3, 1e4, 1e5, 1e6].entries()) {
    const { degree, threshold, complete } = chooseGraphParameters(n);
    assert.equal(complete, false);
    assert.equal(degree % 2, 0);
    assert.ok(threshold >= minimumThreshold(degree + 1) && threshold <= degree + 1);
    validateParams(makeParams({ nodeIds: ids(1000), degree, threshold }));
    if (i > 0) assert.ok(degrees[i]! - degrees[i - 1]! <= 0.25 * degrees[i - 1]!, `degree ${degrees[i]} after ${degrees[i - 1]}`);
  }
  assert.ok(degrees[3]! < 200, `degree ${degrees[3]} for a million nodes`);
});

test('the chosen parameters meet the correctness and security bounds they claim', () => {
  for (const n of [40, 100, 1000, 20000]) {
    for (const [delta, gamma] of [[0.1, 0.05], [0.2, 0], [0.05, 0.1]] as const) {
      const { degree: k, threshold: t, complete } = chooseGraphParameters(n, { maxDropoutFraction: delta, maxCorruptFraction: gamma });
      if (complete) continue;
      const D = Math.floor(delta * n);
      const C = Math.floor(gamma * n);
      assert.ok(n * hypergeometricUpperTail(n - 1, D, k, k - t + 1) <= 2 ** -20, `correctness n=${n}`);
      assert.ok(n * hypergeometricUpperTail(n - 1, C, k, 2 * t - k - 1) <= 2 ** -40, `security n=${n}`);
    }
  }
});

test('infeasible requirements are refused with a hint', () => {
  assert.throws(() => chooseGraphParameters(10, { maxDropoutFraction: 0.5 }), /cannot tolerate 5 dropouts/);
});

test('parameter validation refuses unsafe thresholds and odd sparse degrees', () => {
  const nodeIds = ids(20);
  assert.throws(() => validateParams(makeParams({ nodeIds, degree: 19, threshold: 10 })), /not a majority/);
  assert.throws(() => validateParams(makeParams({ nodeIds, degree: 5, threshold: 4 })), /even degree/);
  assert.throws(() => validateParams(makeParams({ nodeIds, degree: 6, threshold: 8 })), /exceeds the 7 share holders/);
  assert.throws(() => validateParams(makeParams({ nodeIds: [1, 1, 2] })), /listed twice/);
  assert.throws(() => validateParams(makeParams({ nodeIds: [0, 1, 2] })), /not an integer/);
  assert.throws(() => validateParams(makeParams({ nodeIds, clip: 0 })), /clip/);
  validateParams(makeParams({ nodeIds, degree: 6, threshold: 4 }));
});
