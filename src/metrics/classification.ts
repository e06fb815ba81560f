/**
 * Classification metrics from labels and predicted class probabilities.
 * Binary tasks treat class 1 as positive (pneumonia in PneumoniaMNIST).
 */
export interface ClassificationMetrics {
  n: number;
  accuracy: number;
  /** ROC-AUC: binary, or the macro one-vs-rest mean for more classes. */
  auc: number;
  /** Matthews correlation coefficient (multi-class: Gorodkin's R_K). */
  mcc: number;
  /** Recall of the positive class (binary only). */
  sensitivity?: number;
  /** Recall of the negative class (binary only). */
  specificity?: number;
  /** Recall of each class (NaN for a class with no examples); its macro mean is the balanced accuracy. */
  recall: number[];
  /** confusion[true][predicted] */
  confusion: number[][];
  loss?: number;
}

/** probs is row-major [n, numClasses]. */
export function classificationMetrics(labels: ArrayLike<number>, probs: Float32Array | number[], numClasses: number): ClassificationMetrics {
  const n = labels.length;
  const confusion = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < numClasses; c++) if (probs[i * numClasses + c]! > probs[i * numClasses + best]!) best = c;
    confusion[labels[i]!]![best]!++;
    if (best === labels[i]) correct++;
  }
  const scoresFor = (c: number) => Float64Array.from({ length: n }, (_, i) => probs[i * numClasses + c]!);
  const auc =
    numClasses === 2
      ? rocAuc(labels, scoresFor(1), 1)
      : mean(Array.from({ length: numClasses }, (_, c) => rocAuc(labels, scoresFor(c), c)).filter((v) => !Number.isNaN(v)));
  const m: ClassificationMetrics = { n, accuracy: n ? correct / n : NaN, auc, mcc: mcc(confusion), recall: perClassRecall(confusion), confusion };
  if (numClasses === 2) {
    const [[tn, fp], [fn, tp]] = confusion as [[number, number], [number, number]];
    m.sensitivity = tp + fn ? tp / (tp + fn) : NaN;
    m.specificity = tn + fp ? tn / (tn + fp) : NaN;
  }
  return m;
}

/** ROC-AUC by the rank-sum (Mann-Whitney U) with average ranks for ties; NaN if one class is absent. */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>, positive = 1): number {
  const n = labels.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]!] = avg;
    i = j + 1;
  }
  let pos = 0;
  let rankSum = 0;
  for (let i = 0; i < n; i++) {
    if (labels[i] === positive) {
      pos++;
      rankSum += ranks[i]!;
    }
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return NaN;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** Recall of each class from a confusion matrix (rows: true class). */
export function perClassRecall(confusion: number[][]): number[] {
  return confusion.map((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total ? row[i]! / total : NaN;
  });
}

/** Accuracy from a confusion matrix. */
export function confusionAccuracy(confusion: number[][]): number {
  let total = 0;
  let diagonal = 0;
  confusion.forEach((row, i) => row.forEach((v, j) => ((total += v), i === j && (diagonal += v))));
  return total ? diagonal / total : NaN;
}

/** Matthews correlation from a confusion matrix (Gorodkin 2004 for K classes). */
export function mcc(confusion: number[][]): number {
  const k = confusion.length;
  let s = 0;
  let c = 0;
  const t = new Array<number>(k).fill(0); // true counts
  const p = new Array<number>(k).fill(0); // predicted counts
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const v = confusion[i]![j]!;
      s += v;
      if (i === j) c += v;
      t[i]! += v;
      p[j]! += v;
    }
  }
  let tp = 0;
  let tt = 0;
  let pp = 0;
  for (let i = 0; i < k; i++) {
    tp += t[i]! * p[i]!;
    tt += t[i]! * t[i]!;
    pp += p[i]! * p[i]!;
  }
  const den = Math.sqrt(s * s - pp) * Math.sqrt(s * s - tt);
  // Clamped: rounding can give 1 + 2^-52 for a perfect matrix, which a range check would refuse.
  return den === 0 ? 0 : Math.min(1, Math.max(-1, (c * s - tp) / den));
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}
