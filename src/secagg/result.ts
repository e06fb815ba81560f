import { SecAggError } from './errors.js';

export interface SecAggResult {
  /** Sum over contributors of weight * clipped update. */
  sum: Float64Array;
  /** Sum of the contributors' weights. */
  weightSum: number;
  /** Nodes whose masked input is in the sum. */
  contributors: number[];
  /** Nodes that shared keys but whose input is not in the sum. */
  dropped: number[];
  /** Largest quantisation error per coordinate of `sum` and of `weightSum`. */
  errorBound: { value: number; weight: number };
}

/** Element-wise sum / weightSum: the weighted mean of the contributors' updates. */
export function weightedMean(result: SecAggResult): Float64Array {
  if (!(result.weightSum > 0)) throw new SecAggError('invalid-input', `weight sum is ${result.weightSum}; no weighted mean`);
  return result.sum.map((v) => v / result.weightSum);
}
