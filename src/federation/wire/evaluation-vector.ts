/**
 * Federated evaluation as a sum (issue #18 item 9, #12): under SecAgg and
 * CKKS a node's validation metrics never reach the coordinator; each node
 * adds one fixed-layout vector to a secure sum instead, weighted by its
 * validation count n, and the coordinator learns only
 *   sum n, and per metric k: sum of n * m_k and sum of n over the nodes that report k.
 * Counts (tp, cm_i_j, ...) go in as count / n, so their sums are the
 * federation's counts; bounded metrics (accuracy, AUC, MCC, Dice) as
 * themselves, giving the sample-weighted mean plain aggregation computes; a
 * loss as loss / LOSS_SCALE (clipped there). Metrics outside EVALUATION_KEYS
 * stay at the node. Every value lies in [-1, 1], the SecAgg clip.
 */
import { PrivmedError } from '../../common/errors.js';
import { aggregateEvaluationMetrics } from '../strategy/evaluation-metrics.js';
import type { Metrics } from '../strategy/types.js';

const MAX_CLASSES = 16;
const LOSS_SCALE = 16;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

export const COUNT_KEYS: readonly string[] = ['tp', 'fp', 'tn', 'fn', ...range(MAX_CLASSES).flatMap((i) => range(MAX_CLASSES).map((j) => `cm_${i}_${j}`))];
const LOSS_KEYS: readonly string[] = ['loss'];
const BOUNDED_KEYS: readonly string[] = ['accuracy', 'mcc', 'auc', 'sensitivity', 'specificity', 'meanDice', 'meanIou', ...range(MAX_CLASSES).flatMap((k) => [`dice_${k}`, `iou_${k}`])];
export const EVALUATION_KEYS: readonly string[] = [...COUNT_KEYS, ...LOSS_KEYS, ...BOUNDED_KEYS];

/** Two coordinates per key: the value term and the "reported it" term. */
export const EVALUATION_VECTOR_LENGTH = 2 * EVALUATION_KEYS.length;

const kindOf = (key: string): 'count' | 'loss' | 'bounded' => (COUNT_KEYS.includes(key) ? 'count' : LOSS_KEYS.includes(key) ? 'loss' : 'bounded');

/** A node's metrics as the vector it adds (the SecAgg weight is n itself). Returns what was left out too. */
export function evaluationVector(metrics: Readonly<Metrics>, n: number): { values: Float64Array; leftOut: string[] } {
  if (!(Number.isSafeInteger(n) && n >= 1)) throw new PrivmedError(`the validation count ${n} is not a positive integer`);
  const values = new Float64Array(EVALUATION_VECTOR_LENGTH);
  EVALUATION_KEYS.forEach((key, i) => {
    const m = metrics[key];
    if (m === undefined || !Number.isFinite(m)) return;
    const kind = kindOf(key);
    const x = kind === 'count' ? m / n : kind === 'loss' ? Math.min(m, LOSS_SCALE) / LOSS_SCALE : m;
    if (!(x >= -1 && x <= 1)) throw new PrivmedError(`evaluation metric '${key}' = ${m} is outside its range (counts within [0, ${n}], scores within [-1, 1])`);
    values[2 * i] = x;
    values[2 * i + 1] = 1;
  });
  return { values, leftOut: Object.keys(metrics).filter((k) => !EVALUATION_KEYS.includes(k)) };
}

/**
 * The federation's metrics from the decoded sum (`weightSum` = sum of n),
 * through the same aggregation plain evaluation uses: summed confusion
 * counts give accuracy and MCC exactly; other metrics are weighted means.
 * `tolerance`: the sum's fixed-point error bound, for rounding counts.
 */
export function metricsFromEvaluationSum(sum: ArrayLike<number>, weightSum: number, tolerance: number): { numSamples: number; metrics: Metrics } {
  if (sum.length !== EVALUATION_VECTOR_LENGTH) throw new PrivmedError(`the evaluation sum has ${sum.length} values, expected ${EVALUATION_VECTOR_LENGTH}`);
  const numSamples = Math.round(weightSum);
  if (!(numSamples >= 1)) throw new PrivmedError(`the summed validation count is ${weightSum}`);
  const metrics: Metrics = {};
  EVALUATION_KEYS.forEach((key, i) => {
    const reported = sum[2 * i + 1]!;
    if (reported < 0.5) return; // no node reported it
    const value = sum[2 * i]!;
    const kind = kindOf(key);
    if (kind === 'count') {
      // Counts are whole; only the complete federation's count makes sense.
      if (Math.abs(reported - weightSum) > tolerance + 0.5) return;
      metrics[key] = Math.max(0, Math.round(value));
    } else metrics[key] = (kind === 'loss' ? LOSS_SCALE : 1) * (value / reported);
  });
  // One pseudo-node holding the federation's sums: the plain aggregation's own formulas finish the job.
  return { numSamples, metrics: aggregateEvaluationMetrics([{ node: '<secure sum>', numSamples, metrics }]) };
}
