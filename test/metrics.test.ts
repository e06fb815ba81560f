import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { classificationMetrics, mcc, rocAuc } from '../src/metrics/classification.js';

test('ROC-AUC matches a hand-computed case with ties', () => {
  // pairs (pos, neg): scores pos [0.8, 0.4], neg [0.4, 0.1] -> (1 + 1 + 0.5 + 1) / 4
  assert.equal(rocAuc([1, 1, 0, 0], [0.8, 0.4, 0.4, 0.1]), 3.5 / 4);
  assert.ok(Number.isNaN(rocAuc([1, 1], [0.2, 0.3])));
});

test('ROC-AUC equals the pairwise definition (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 5 })), { minLength: 2, maxLength: 40 }), (rows) => {
      const labels = rows.map((r) => r[0]);
      const scores = rows.map((r) => r[1]);
      let num = 0;
      let den = 0;
      for (let i = 0; i < rows.length; i++) for (let j = 0; j < rows.length; j++) {
        if (labels[i] === 1 && labels[j] === 0) {
          den++;
          num += scores[i]! > scores[j]! ? 1 : scores[i] === scores[j] ? 0.5 : 0;
        }
      }
      const auc = rocAuc(labels, scores);
      if (den === 0) return Number.isNaN(auc);
      return Math.abs(auc - num / den) < 1e-12;
    }),
    { numRuns: 200 },
  );
});

test('binary metrics: confusion, sensitivity, specificity, MCC', () => {
  const labels = [1, 1, 1, 0, 0];
  const probs = [0.1, 0.9, 0.2, 0.8, 0.3, 0.7, 0.4, 0.6, 0.9, 0.1];
  const m = classificationMetrics(labels, probs, 2);
  assert.deepEqual(m.confusion, [[1, 1], [0, 3]]);
  assert.equal(m.accuracy, 0.8);
  assert.equal(m.sensitivity, 1);
  assert.equal(m.specificity, 0.5);
  // MCC = (tp*tn - fp*fn)/sqrt((tp+fp)(tp+fn)(tn+fp)(tn+fn)) = (3-0)/sqrt(4*3*2*1)
  assert.ok(Math.abs(m.mcc - 3 / Math.sqrt(24)) < 1e-12);
});

test('MCC is 1 for perfect, -1 for inverted, 0 for constant predictions', () => {
  assert.ok(Math.abs(mcc([[5, 0], [0, 5]]) - 1) < 1e-12);
  assert.ok(Math.abs(mcc([[0, 5], [5, 0]]) + 1) < 1e-12);
  assert.equal(mcc([[0, 5], [0, 5]]), 0);
});
