/**
 * Class imbalance: 'balanced' class weights (n / (k * n_c), as scikit-learn
 * computes them) for a weighted loss, and a seeded weighted sampler that
 * draws items with replacement so that classes appear about equally often.
 */
import { PrivmedError } from '../../common/errors.js';
import type { Rng } from '../../common/rng.js';

export function classWeights(labels: ArrayLike<number>, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]!]!++;
  const present = counts.filter((c) => c > 0).length;
  return counts.map((c) => (c > 0 ? labels.length / (present * c) : 0));
}

/** Indices drawn with replacement, item i with probability proportional to weights[labels[i]]. */
export function weightedSampleIndices(labels: ArrayLike<number>, weights: number[], count: number, rng: Rng): Int32Array {
  const cumulative = new Float64Array(labels.length);
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    const w = weights[labels[i]!] ?? 0;
    if (!(w >= 0)) throw new PrivmedError(`class weight ${w} for class ${labels[i]} is not a non-negative number`);
    total += w;
    cumulative[i] = total;
  }
  if (!(total > 0)) throw new PrivmedError('weighted sampler: all weights are zero');
  const out = new Int32Array(count);
  for (let k = 0; k < count; k++) {
    const r = rng.next() * total;
    let lo = 0;
    let hi = labels.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! > r) hi = mid;
      else lo = mid + 1;
    }
    out[k] = lo;
  }
  return out;
}
