/**
 * Aggregation of the nodes' evaluation metrics. Averaging per-node MCC values
 * is not the MCC of the union of the validation sets, so when nodes report
 * their confusion counts (tp, fp, tn, fn) we sum the counts and compute the
 * federated accuracy, sensitivity, specificity and MCC exactly; every other
 * metric is averaged weighted by sample count.
 */
import { weightedAverageMetrics } from './weighted-average.js';
import type { EvaluateResult, Metrics } from './types.js';

export const CONFUSION_KEYS = ['tp', 'fp', 'tn', 'fn'] as const;

export function matthewsCorrelation(tp: number, fp: number, tn: number, fn: number): number {
  const denominator = Math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn));
  // Conventional value when a row or column of the confusion matrix is empty.
  return denominator === 0 ? 0 : (tp * tn - fp * fn) / denominator;
}

export function aggregateEvaluationMetrics(results: readonly EvaluateResult[]): Metrics {
  const out = weightedAverageMetrics(results);
  const withCounts = results.filter((r) => CONFUSION_KEYS.every((k) => Number.isFinite(r.metrics[k])));
  if (results.length === 0 || withCounts.length !== results.length) return out;
  const [tp, fp, tn, fn] = CONFUSION_KEYS.map((k) => results.reduce((s, r) => s + r.metrics[k]!, 0)) as [number, number, number, number];
  const total = tp + fp + tn + fn;
  out.tp = tp;
  out.fp = fp;
  out.tn = tn;
  out.fn = fn;
  if (total > 0) out.accuracy = (tp + tn) / total;
  if (tp + fn > 0) out.sensitivity = tp / (tp + fn);
  if (tn + fp > 0) out.specificity = tn / (tn + fp);
  out.mcc = matthewsCorrelation(tp, fp, tn, fn);
  return out;
}
