import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classificationMetrics, confusionAccuracy, mcc, perClassRecall } from '../../src/metrics/classification.js';
import { aggregateEvaluationMetrics, confusionFromMetrics } from '../../src/federation/strategy/evaluation-metrics.js';
import { replyValuesProblem } from '../../src/federation/wire/reply-values.js';
import { classificationTask } from '../../src/training/task.js';

// Six samples, three classes; probabilities row by row (true label in the comment).
const LABELS = [0, 0, 1, 1, 2, 2];
const PROBS = [
  [0.6, 0.3, 0.1], // 0 -> 0
  [0.3, 0.5, 0.2], // 0 -> 1
  [0.2, 0.7, 0.1], // 1 -> 1
  [0.1, 0.8, 0.1], // 1 -> 1
  [0.2, 0.2, 0.6], // 2 -> 2
  [0.5, 0.1, 0.4], // 2 -> 0
].flat();
const CONFUSION = [
  [1, 1, 0],
  [0, 2, 0],
  [1, 0, 1],
];
// Gorodkin: (c s - sum p_k t_k) / sqrt((s^2 - sum p_k^2)(s^2 - sum t_k^2)) with c = 4, s = 6,
// t = (2, 2, 2), p = (2, 3, 1): (24 - 12) / sqrt((36 - 14)(36 - 12)) = 12 / sqrt(528).
const GORODKIN = 12 / Math.sqrt(528);

test('3-class metrics equal hand-computed values: accuracy, macro one-vs-rest AUC, per-class recall, Gorodkin MCC', () => {
  const m = classificationMetrics(LABELS, PROBS, 3);
  assert.deepEqual(m.confusion, CONFUSION);
  assert.equal(m.accuracy, 4 / 6);
  assert.deepEqual(m.recall, [0.5, 1, 0.5]);
  assert.ok(Math.abs(m.mcc - GORODKIN) < 1e-12, `mcc ${m.mcc}`);
  // One-vs-rest AUCs: class 0 ranks 7 of its 8 (positive, negative) pairs right; classes 1 and 2 all 8.
  assert.ok(Math.abs(m.auc - (7 / 8 + 1 + 1) / 3) < 1e-12, `auc ${m.auc}`);
  assert.equal(m.sensitivity, undefined);
  assert.equal(confusionAccuracy(CONFUSION), 4 / 6);
  assert.deepEqual(perClassRecall([[0, 0], [1, 3]]), [NaN, 0.75]);
});

test('Gorodkin MCC reduces to the binary MCC for two classes and is 1 for a perfect K-class matrix', () => {
  const [tn, fp, fn, tp] = [5, 2, 1, 4];
  const binary = (tp * tn - fp * fn) / Math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn));
  assert.ok(Math.abs(mcc([[tn, fp], [fn, tp]]) - binary) < 1e-12);
  assert.ok(Math.abs(mcc([[3, 0, 0], [0, 4, 0], [0, 0, 5]]) - 1) < 1e-12);
});

test('a K-class task reports its confusion matrix as cm_i_j; the federation sums them for the exact MCC', () => {
  const task = classificationTask(null);
  // Site A scored samples 0, 2, 4 (all right); site B samples 1, 3, 5.
  const a = task.summary({ ...classificationMetrics([0, 1, 2], [PROBS.slice(0, 3), PROBS.slice(6, 9), PROBS.slice(12, 15)].flat(), 3), loss: 0.4 });
  const b = task.summary({ ...classificationMetrics([0, 1, 2], [PROBS.slice(3, 6), PROBS.slice(9, 12), PROBS.slice(15, 18)].flat(), 3), loss: 0.9 });
  task.dispose();
  assert.deepEqual(confusionFromMetrics(a), [[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
  assert.equal(replyValuesProblem('evaluate', 3, a, 100), null);
  const m = aggregateEvaluationMetrics([
    { node: 'a', numSamples: 3, metrics: a },
    { node: 'b', numSamples: 3, metrics: b },
  ]);
  assert.deepEqual(confusionFromMetrics(m), CONFUSION);
  assert.ok(Math.abs(m.mcc! - GORODKIN) < 1e-12, `federated mcc ${m.mcc}; the mean of the sites' MCCs would be ${(a.mcc! + b.mcc!) / 2}`);
  assert.equal(m.accuracy, 4 / 6);
  assert.deepEqual([m.recall_0, m.recall_1, m.recall_2], [0.5, 1, 0.5]);
});

test("a remote node's K x K counts are checked: whole, non-negative, all K*K cells, summing to the examples scored", () => {
  const cells = (k: number, value: (i: number, j: number) => number) =>
    Object.fromEntries(Array.from({ length: k * k }, (_, n) => [`cm_${Math.floor(n / k)}_${n % k}`, value(Math.floor(n / k), n % k)]));
  const good = cells(8, (i, j) => (i === j ? 2 : 0));
  assert.equal(replyValuesProblem('evaluate', 16, { ...good, accuracy: 1, mcc: 1 }, 100), null);
  assert.match(replyValuesProblem('evaluate', 17, good, 100)!, /add up to 16, not the 17 examples scored/);
  assert.match(replyValuesProblem('evaluate', 16, { ...good, cm_0_1: -1, cm_0_0: 3 }, 100)!, /'cm_0_1' must be a non-negative integer, got -1/);
  assert.match(replyValuesProblem('evaluate', 16, { ...good, cm_3_3: 1.5, cm_0_0: 1.5 }, 100)!, /must be a non-negative integer, got 1\.5/);
  const missing: Record<string, number> = { ...good };
  delete missing.cm_7_7;
  assert.match(replyValuesProblem('evaluate', 14, missing, 100)!, /63 confusion-matrix entries is not K\*K/);
  const shifted: Record<string, number> = { ...missing, cm_8_0: 2 };
  assert.match(replyValuesProblem('evaluate', 16, shifted, 100)!, /'cm_8_0' is outside a 8x8 matrix/);
  assert.match(replyValuesProblem('evaluate', 16, { ...good, cm_01_0: 0 }, 100)!, /not K\*K|outside/);
  assert.match(replyValuesProblem('evaluate', 1, cells(17, () => 0), 100)!, /289 confusion-matrix entries, at most 256/);
  // A fit may carry counts too, but they are not tied to its sample count.
  assert.equal(replyValuesProblem('fit', 5, good, 100), null);
});
