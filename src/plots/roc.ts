/** ROC curves (one-vs-rest for more than two classes), AUC in the legend. */
import { rocAuc } from '../metrics/classification.js';
import { axes, colour, formatNumber, legend, pathData, svgDocument, type Frame } from './svg.js';

/** The ROC curve's corners: (false positive rate, true positive rate), tied scores as one step. */
export function rocPoints(labels: ArrayLike<number>, scores: ArrayLike<number>, positive = 1): [number, number][] {
  const n = labels.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  let p = 0;
  for (let i = 0; i < n; i++) if (labels[i] === positive) p++;
  const neg = n - p;
  const points: [number, number][] = [[0, 0]];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    for (; j < n && scores[order[j]!] === scores[order[i]!]; j++) {
      if (labels[order[j]!] === positive) tp++;
      else fp++;
    }
    points.push([neg ? fp / neg : 0, p ? tp / p : 0]);
    i = j;
  }
  return points;
}

export interface RocInput {
  labels: ArrayLike<number>;
  /** Row-major [n, classes.length] probabilities, as `predict` returns them. */
  probs: ArrayLike<number>;
  classes: string[];
  title?: string;
  width?: number;
  height?: number;
}

export function rocChart(o: RocInput): string {
  const k = o.classes.length;
  const n = o.labels.length;
  const width = o.width ?? 480;
  const height = o.height ?? 480;
  const f: Frame = { width, height, left: 60, right: 16, top: 30, bottom: 42, x: { lo: 0, hi: 1 }, y: { lo: 0, hi: 1 } };
  // Binary: the positive class only (its curve is the other's mirror image).
  const positives = k === 2 ? [1] : Array.from({ length: k }, (_, c) => c);
  const body = axes(f, 'false positive rate (1 - specificity)', 'true positive rate (sensitivity)');
  body.push(`<path class="chance" d="${pathData(f, [[0, 0], [1, 1]])}" stroke="#999999" stroke-dasharray="4 4" fill="none"/>`);
  const entries = positives.map((c, i) => {
    const scores = Float64Array.from({ length: n }, (_, r) => o.probs[r * k + c]!);
    const auc = rocAuc(o.labels, scores, c);
    body.push(`<path class="roc" d="${pathData(f, rocPoints(o.labels, scores, c))}" fill="none" stroke="${colour(i)}" stroke-width="2"/>`);
    return { label: `${k === 2 ? o.classes[c] : `${o.classes[c]} vs rest`} (AUC ${Number.isNaN(auc) ? 'n/a' : formatNumber(Number(auc.toFixed(4)))})`, colour: colour(i) };
  });
  body.push(...legend(f, entries, 'bottom-right'));
  return svgDocument(width, height, o.title ?? 'ROC curve', body);
}
