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
  if (items.length === 0) throw new PrivmedError('cannot average updates: no results with a positive sample count');
  const sum = new WeightedSum(items[0]!.weights.map((t) => t.length));
  for (const item of items) sum.add(item.weights, item.numSamples, {});
  return sum.mean();
}

/**
 * A running sample-weighted sum of updates (and of their metrics), so that
 * updates can be added as they arrive and dropped: memory is one float64 sum
 * per tensor, whatever the number of nodes. mean() is sum(n_k w_k) / sum(n_k)
 * rounded once to float32, the same for any arrival order up to float64 rounding.
 */
export class WeightedSum {
  private readonly sums: Float64Array[];
  private readonly metricSums = new Map<string, { value: number; weight: number }>();
  private samples = 0;
  count = 0;

  constructor(lengths: readonly number[]) {
    this.sums = lengths.map((n) => new Float64Array(n));
  }

  get totalSamples(): number {
    return this.samples;
  }

  add(weights: Weights, numSamples: number, metrics: Metrics): void {
    if (weights.length !== this.sums.length) throw new PrivmedError(`cannot average updates with ${weights.length} and ${this.sums.length} tensors`);
    weights.forEach((values, t) => {
      const acc = this.sums[t]!;
      if (values.length !== acc.length) throw new PrivmedError(`cannot average tensor ${t}: ${values.length} values, expected ${acc.length}`);
      for (let i = 0; i < acc.length; i++) acc[i]! += numSamples * values[i]!;
    });
    for (const [key, value] of Object.entries(metrics)) {
      if (!Number.isFinite(value)) continue;
      const s = this.metricSums.get(key) ?? { value: 0, weight: 0 };
      s.value += numSamples * value;
      s.weight += numSamples;
      this.metricSums.set(key, s);
    }
    this.samples += numSamples;
    this.count++;
  }

  mean(): Weights {
    const total = this.samples;
    if (this.count === 0 || !(total > 0)) throw new PrivmedError('cannot average updates: no results with a positive sample count');
    return this.sums.map((acc) => {
      const out = new Float32Array(acc.length);
      for (let i = 0; i < acc.length; i++) out[i] = acc[i]! / total;
      return out;
    });
  }

  /** Each metric averaged over the updates that report it (weightedAverageMetrics). */
  meanMetrics(): Metrics {
    const out: Metrics = {};
    for (const [key, s] of this.metricSums) if (s.weight > 0) out[key] = s.value / s.weight;
    return out;
  }
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
