/**
 * Aggregation of the nodes' evaluation metrics. Averaging per-node MCC values
 * is not the MCC of the union of the validation sets, so when nodes report
 * their confusion counts (tp, fp, tn, fn) we sum the counts and compute the
 * federated accuracy, sensitivity, specificity and MCC exactly; every other
 * metric is averaged weighted by sample count. K-class tasks report their
 * confusion matrix as cm_<true>_<predicted>: summed the same way, giving the
 * federated accuracy, per-class recall (recall_<k>) and Gorodkin's MCC.
 */
import { confusionAccuracy, mcc, perClassRecall } from '../../metrics/classification.js';
import { weightedAverageMetrics } from './weighted-average.js';
import type { EvaluateResult, Metrics } from './types.js';

export const CONFUSION_KEYS = ['tp', 'fp', 'tn', 'fn'] as const;

export function matthewsCorrelation(tp: number, fp: number, tn: number, fn: number): number {
  const denominator = Math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn));
  // Conventional value when a row or column of the confusion matrix is empty.
  return denominator === 0 ? 0 : (tp * tn - fp * fn) / denominator;
}

/** The K x K confusion matrix a node reported as cm_i_j entries, or null. */
export function confusionFromMetrics(m: Metrics): number[][] | null {
  const cells = Object.keys(m).filter((name) => /^cm_\d+_\d+$/.test(name)).length;
  const k = Math.round(Math.sqrt(cells));
  if (k < 2 || k * k !== cells) return null;
  const out = Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => m[`cm_${i}_${j}`] ?? NaN));
  return out.every((row) => row.every(Number.isFinite)) ? out : null;
}

function multiClass(results: readonly EvaluateResult[], out: Metrics): Metrics {
  const matrices = results.map((r) => confusionFromMetrics(r.metrics));
  const k = matrices[0]?.length;
  if (!k || !matrices.every((m) => m?.length === k)) return out;
  const sum = Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => matrices.reduce((s, m) => s + m![i]![j]!, 0)));
  sum.forEach((row, i) => row.forEach((v, j) => (out[`cm_${i}_${j}`] = v)));
  out.accuracy = confusionAccuracy(sum);
  out.mcc = mcc(sum);
  perClassRecall(sum).forEach((r, i) => Number.isFinite(r) && (out[`recall_${i}`] = r));
  return out;
}

export function aggregateEvaluationMetrics(results: readonly EvaluateResult[]): Metrics {
  const out = weightedAverageMetrics(results);
  if (results.length > 0 && results.every((r) => confusionFromMetrics(r.metrics))) return multiClass(results, out);
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
