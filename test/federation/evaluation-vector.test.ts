import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseGraphParameters, runSecAggRound } from '../../src/secagg/index.js';
import { aggregateEvaluationMetrics } from '../../src/federation/strategy/evaluation-metrics.js';
import type { EvaluateResult } from '../../src/federation/strategy/types.js';
import { EVALUATION_VECTOR_LENGTH, evaluationVector, metricsFromEvaluationSum } from '../../src/federation/wire/evaluation-vector.js';

const binary: EvaluateResult[] = [
  { node: 'a', numSamples: 120, metrics: { loss: 0.41, accuracy: 0.85, mcc: 0.69, auc: 0.93, tp: 40, fp: 8, tn: 62, fn: 10 } },
  { node: 'b', numSamples: 45, metrics: { loss: 0.62, accuracy: 0.8, mcc: 0.55, tp: 20, fp: 5, tn: 16, fn: 4 } }, // one class missing its AUC
  { node: 'c', numSamples: 300, metrics: { loss: 0.3, accuracy: 0.9, mcc: 0.8, auc: 0.95, tp: 150, fp: 10, tn: 120, fn: 20 } },
];

function closeTo(got: Record<string, number>, want: Record<string, number>, tol: number): void {
  assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort());
  for (const k of Object.keys(want)) assert.ok(Math.abs(got[k]! - want[k]!) <= tol, `${k}: ${got[k]} vs ${want[k]}`);
}

test('the secure sum of evaluation vectors gives what plain aggregation of the nodes gives', () => {
  const sum = new Float64Array(EVALUATION_VECTOR_LENGTH);
  let n = 0;
  for (const r of binary) {
    const { values } = evaluationVector(r.metrics, r.numSamples);
    values.forEach((v, i) => (sum[i]! += r.numSamples * v));
    n += r.numSamples;
  }
  const got = metricsFromEvaluationSum(sum, n, 1e-9);
  assert.equal(got.numSamples, 465);
  closeTo(got.metrics, aggregateEvaluationMetrics(binary), 1e-12);
});

test('through a real SecAgg+ round (fixed point, masks) the counts are exact and the means within the bound', () => {
  const inputs = binary.map((r) => ({ values: evaluationVector(r.metrics, r.numSamples).values, weight: r.numSamples }));
  const { degree, threshold } = chooseGraphParameters(3);
  const params = { roundId: 'eval-test', nodeIds: [1, 2, 3], threshold, degree, vectorLength: EVALUATION_VECTOR_LENGTH, clip: 1, maxWeight: 100_000 };
  const round = runSecAggRound({ params, inputs: (id) => inputs[id - 1]! });
  const { sum, weightSum, errorBound } = round.result;
  const got = metricsFromEvaluationSum(sum, weightSum, errorBound.value + errorBound.weight);
  const want = aggregateEvaluationMetrics(binary);
  for (const k of ['tp', 'fp', 'tn', 'fn']) assert.equal(got.metrics[k], want[k], `${k} exact`);
  closeTo(got.metrics, want, 1e-3);
});

test('a K-class confusion matrix is summed; metrics without a slot stay at the node; out-of-range values are refused', () => {
  const cm = (m: number[][]) => Object.fromEntries(m.flatMap((row, i) => row.map((v, j) => [`cm_${i}_${j}`, v])));
  const nodes: EvaluateResult[] = [
    { node: 'a', numSamples: 10, metrics: { ...cm([[3, 1, 0], [0, 2, 1], [1, 0, 2]]), accuracy: 0.7 } },
    { node: 'b', numSamples: 6, metrics: { ...cm([[2, 0, 0], [1, 1, 0], [0, 0, 2]]), accuracy: 5 / 6 } },
  ];
  const sum = new Float64Array(EVALUATION_VECTOR_LENGTH);
  for (const r of nodes) evaluationVector(r.metrics, r.numSamples).values.forEach((v, i) => (sum[i]! += r.numSamples * v));
  const got = metricsFromEvaluationSum(sum, 16, 1e-9);
  closeTo(got.metrics, aggregateEvaluationMetrics(nodes), 1e-12);
  assert.equal(got.metrics.cm_0_0, 5);
  assert.deepEqual(evaluationVector({ accuracy: 0.5, secretScore: 3 }, 4).leftOut, ['secretScore']);
  assert.throws(() => evaluationVector({ tp: 11 }, 10), /'tp' = 11 is outside/);
  assert.throws(() => evaluationVector({ auc: 1.5 }, 10), /'auc' = 1.5 is outside/);
  assert.throws(() => evaluationVector({ auc: 0.5 }, 0), /validation count 0/);
});
