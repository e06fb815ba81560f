import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { runSecAggRound, type SecAggStage } from '../../src/secagg/driver.js';
import { SecAggError } from '../../src/secagg/errors.js';
import type { SecAggInput, SecAggParams } from '../../src/secagg/messages.js';
import { minimumThreshold } from '../../src/secagg/params.js';
import { ids, plainWeightedSum, seededRandom } from './helpers.js';

const STAGES: SecAggStage[] = ['advertise-keys', 'share-keys', 'masked-input', 'unmasking'];
const CLIP = 1.5;
const MAX_WEIGHT = 40;

/** A random round: n nodes, complete or sparse graph, any valid threshold, small vectors, values beyond the clip range. */
const roundArbitrary = fc.integer({ min: 2, max: 50 }).chain((n) =>
  fc.integer({ min: 1, max: 6 }).chain((d) =>
    fc.record({
      n: fc.constant(n),
      d: fc.constant(d),
      halfDegree: fc.option(fc.integer({ min: 1, max: 24 }), { nil: undefined }),
      thresholdSlack: fc.nat(),
      values: fc.array(fc.double({ min: -2 * CLIP, max: 2 * CLIP, noNaN: true }), { minLength: n * d, maxLength: n * d }),
      weights: fc.array(fc.double({ min: 0, max: MAX_WEIGHT, noNaN: true }), { minLength: n, maxLength: n }),
      dropped: fc.shuffledSubarray(ids(n)),
      dropStages: fc.array(fc.constantFrom(...STAGES), { minLength: n, maxLength: n }),
      dropCount: fc.nat(),
      seed: fc.string(),
    }),
  ),
);

type Round = typeof roundArbitrary extends fc.Arbitrary<infer R> ? R : never;

function setUp(r: Round, withinTolerance: boolean) {
  const nodeIds = ids(r.n);
  const sparse = r.halfDegree !== undefined && 2 * r.halfDegree < r.n - 1;
  const degree = sparse ? 2 * r.halfDegree! : r.n - 1;
  const holders = degree + 1;
  const tMin = minimumThreshold(holders);
  const threshold = tMin + (r.thresholdSlack % (holders - tMin + 1));
  const params: SecAggParams = { roundId: `prop-${r.seed}`, nodeIds, threshold, degree, vectorLength: r.d, clip: CLIP, maxWeight: MAX_WEIGHT };
  const inputs = new Map<number, SecAggInput>(
    nodeIds.map((id, i) => [id, { values: r.values.slice(i * r.d, (i + 1) * r.d), weight: r.weights[i]! }]),
  );
  // Every node keeps >= t live share holders when at most holders - t nodes drop in all.
  const limit = withinTolerance ? holders - threshold : r.n;
  const dropped = r.dropped.slice(0, r.dropCount % (Math.min(limit, r.dropped.length) + 1));
  const dropouts: Partial<Record<SecAggStage, number[]>> = {};
  for (const id of dropped) (dropouts[r.dropStages[id - 1]!] ??= []).push(id);
  const contributors = nodeIds.filter((id) => !dropped.includes(id) || r.dropStages[id - 1] === 'unmasking');
  return { params, inputs, dropouts, contributors };
}

function assertCorrectSum(r: Round, setup: ReturnType<typeof setUp>, result: ReturnType<typeof runSecAggRound>['result']): void {
  assert.deepEqual(result.contributors, setup.contributors);
  const exact = plainWeightedSum(setup.inputs, setup.contributors, CLIP);
  for (let i = 0; i < r.d; i++) {
    const err = Math.abs(result.sum[i]! - exact.sum[i]!);
    assert.ok(err <= result.errorBound.value + 1e-9 * (1 + Math.abs(exact.sum[i]!)), `coordinate ${i}: error ${err} > ${result.errorBound.value}`);
  }
  assert.ok(Math.abs(result.weightSum - exact.weightSum) <= result.errorBound.weight + 1e-9 * (1 + exact.weightSum));
}

test('the unmasked sum equals the plaintext weighted sum within the quantisation bound, dropouts up to the tolerance', () => {
  fc.assert(
    fc.property(roundArbitrary, (r) => {
      const setup = setUp(r, true);
      const { result } = runSecAggRound({ ...setup, inputs: (id) => setup.inputs.get(id)!, random: seededRandom(r.seed) });
      assertCorrectSum(r, setup, result);
    }),
    { numRuns: 30 },
  );
});

test('beyond the tolerance a round either gives the right sum or stops with below-threshold, never a wrong sum', () => {
  let completed = 0;
  let stopped = 0;
  fc.assert(
    fc.property(roundArbitrary, (r) => {
      const setup = setUp(r, false);
      try {
        const { result } = runSecAggRound({ ...setup, inputs: (id) => setup.inputs.get(id)!, random: seededRandom(r.seed) });
        assertCorrectSum(r, setup, result);
        completed++;
      } catch (error) {
        if (!(error instanceof SecAggError) || error.code !== 'below-threshold') throw error;
        stopped++;
      }
    }),
    { numRuns: 30, seed: 20240611 },
  );
  assert.ok(completed > 0 && stopped > 0, `completed ${completed}, stopped ${stopped}: both outcomes should occur`);
});
