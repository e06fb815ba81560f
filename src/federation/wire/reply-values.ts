/**
 * What a node may report beside its tensors, checked before anything is
 * stored, logged or aggregated: a bounded number of metrics with plain names
 * and finite values, each known metric within its range, and confusion counts
 * that are whole, non-negative and (for an evaluation) add up to the examples
 * scored. A node that reports tp = 1e300 must not choose the best round.
 * A K-class confusion matrix comes as cm_<true>_<predicted> entries: all K*K
 * of them, for 2 <= K <= MAX_CLASSES, counted apart from the other metrics.
 */
const MAX_METRICS = 64;
const MAX_CLASSES = 16;
const CELL = /^cm_(\d{1,2})_(\d{1,2})$/;
const NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const RANGES: Readonly<Record<string, readonly [number, number]>> = {
  accuracy: [0, 1],
  auc: [0, 1],
  sensitivity: [0, 1],
  specificity: [0, 1],
  mcc: [-1, 1],
  loss: [0, Infinity],
  epsilon: [0, Infinity],
};
const COUNTS = ['tp', 'fp', 'tn', 'fn'] as const;

/** Why the reply's sample count and metrics are refused, or null. */
export function replyValuesProblem(kind: 'fit' | 'evaluate', numSamples: number, metrics: Readonly<Record<string, number>>, maxNumSamples: number): string | null {
  if (!Number.isSafeInteger(numSamples) || numSamples < 0 || (kind === 'evaluate' && numSamples === 0)) {
    return `sample count must be a ${kind === 'evaluate' ? 'positive' : 'non-negative'} integer, got ${numSamples}`;
  }
  if (numSamples > maxNumSamples) return `sample count ${numSamples} exceeds the limit of ${maxNumSamples} (validation.maxNumSamples)`;
  const all = Object.entries(metrics);
  const cells = all.filter(([name]) => CELL.test(name));
  const entries = all.filter(([name]) => !CELL.test(name));
  if (entries.length > MAX_METRICS) return `${entries.length} metrics, at most ${MAX_METRICS}`;
  for (const [name, value] of entries) {
    if (!NAME.test(name)) return `a metric name is not a plain identifier (${JSON.stringify(name.slice(0, 40))})`;
    if (!Number.isFinite(value)) return `metric '${name}' is not finite (${value})`;
    const range = RANGES[name];
    if (range && !(value >= range[0] && value <= range[1])) return `metric '${name}' = ${value} is outside [${range[0]}, ${range[1]}]`;
  }
  const counts = COUNTS.filter((k) => k in metrics);
  for (const k of counts) {
    if (!Number.isSafeInteger(metrics[k]) || metrics[k]! < 0) return `confusion count '${k}' must be a non-negative integer, got ${metrics[k]}`;
  }
  if (kind === 'evaluate' && counts.length > 0) {
    if (counts.length !== COUNTS.length) return `confusion counts need all of ${COUNTS.join(', ')}`;
    const total = COUNTS.reduce((s, k) => s + metrics[k]!, 0);
    if (total !== numSamples) return `confusion counts add up to ${total}, not the ${numSamples} examples scored`;
  }
  return cells.length ? confusionMatrixProblem(kind, numSamples, cells) : null;
}

function confusionMatrixProblem(kind: 'fit' | 'evaluate', numSamples: number, cells: [string, number][]): string | null {
  if (cells.length > MAX_CLASSES * MAX_CLASSES) return `${cells.length} confusion-matrix entries, at most ${MAX_CLASSES * MAX_CLASSES} (${MAX_CLASSES} classes)`;
  const k = Math.round(Math.sqrt(cells.length));
  if (k < 2 || k * k !== cells.length) return `${cells.length} confusion-matrix entries is not K*K for K >= 2 classes`;
  let total = 0;
  for (const [name, value] of cells) {
    const [, i, j] = CELL.exec(name)!;
    if (Number(i) >= k || Number(j) >= k || String(Number(i)) !== i || String(Number(j)) !== j) return `confusion-matrix entry '${name}' is outside a ${k}x${k} matrix`;
    if (!Number.isSafeInteger(value) || value < 0) return `confusion-matrix entry '${name}' must be a non-negative integer, got ${value}`;
    total += value;
  }
  // K*K distinct names, each inside the K x K grid: every cell is present once.
  if (kind === 'evaluate' && total !== numSamples) return `confusion-matrix entries add up to ${total}, not the ${numSamples} examples scored`;
  return null;
}
