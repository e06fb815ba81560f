/** Sample-weighted averages of weights and metrics, accumulated in float64. */
import { PrivmedError } from '../../common/errors.js';
import type { Metrics, Weights } from './types.js';

export interface Weighted {
  numSamples: number;
}

export function totalSamples(items: readonly Weighted[]): number {
  return items.reduce((sum, r) => sum + r.numSamples, 0);
}

export function weightedAverageWeights(items: readonly (Weighted & { weights: Weights })[]): Weights {
  const total = totalSamples(items);
  if (items.length === 0 || !(total > 0)) {
    throw new PrivmedError('cannot average updates: no results with a positive sample count');
  }
  const first = items[0]!.weights;
  return first.map((tensor, t) => {
    const acc = new Float64Array(tensor.length);
    for (const item of items) {
      const w = item.numSamples / total;
      const values = item.weights[t]!;
      for (let i = 0; i < acc.length; i++) acc[i]! += w * values[i]!;
    }
    return Float32Array.from(acc);
  });
}

/** Each metric is averaged over the results that report it. */
export function weightedAverageMetrics(items: readonly (Weighted & { metrics: Metrics })[]): Metrics {
  const sums = new Map<string, { value: number; weight: number }>();
  for (const item of items) {
    for (const [key, value] of Object.entries(item.metrics)) {
      if (!Number.isFinite(value)) continue;
      const s = sums.get(key) ?? { value: 0, weight: 0 };
      s.value += item.numSamples * value;
      s.weight += item.numSamples;
      sums.set(key, s);
    }
  }
  const out: Metrics = {};
  for (const [key, s] of sums) if (s.weight > 0) out[key] = s.value / s.weight;
  return out;
}
