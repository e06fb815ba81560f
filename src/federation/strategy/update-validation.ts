/**
 * Checks every node's update before it may influence the global model:
 * same tensor names and shapes as the global model, only finite values, a
 * plausible sample count, and - optionally - an L2 bound on the change
 * ||w_node - w_global||, which limits what one faulty or malicious node can do.
 * Returns the reason for refusal, or null when the update is acceptable.
 */
import { specMismatch, type NamedTensor, type TensorSpec } from '../wire/tensors.js';
import type { Weights } from './types.js';

export interface UpdateBounds {
  /** Largest accepted L2 norm of the update (node weights minus global weights). */
  maxUpdateNorm?: number;
  /** Largest accepted sample count of one node (FedAvg weight). */
  maxNumSamples?: number;
}

export function checkUpdate(
  update: readonly NamedTensor[],
  numSamples: number,
  globalSpecs: readonly TensorSpec[],
  globalWeights: Weights,
  bounds: UpdateBounds,
): string | null {
  const mismatch = specMismatch(globalSpecs, update);
  if (mismatch) return mismatch;
  if (!Number.isSafeInteger(numSamples) || numSamples <= 0) {
    return `sample count must be a positive integer, got ${numSamples}`;
  }
  if (bounds.maxNumSamples !== undefined && numSamples > bounds.maxNumSamples) {
    return `sample count ${numSamples} exceeds the limit of ${bounds.maxNumSamples}`;
  }
  let squaredNorm = 0;
  for (let t = 0; t < update.length; t++) {
    const values = update[t]!.data;
    const reference = globalWeights[t]!;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (!Number.isFinite(v)) {
        return `tensor '${update[t]!.name}' has a non-finite value (${v}) at index ${i}`;
      }
      const d = v - reference[i]!;
      squaredNorm += d * d;
    }
  }
  const norm = Math.sqrt(squaredNorm);
  if (bounds.maxUpdateNorm !== undefined && norm > bounds.maxUpdateNorm) {
    return `update norm ${norm.toPrecision(4)} exceeds the bound of ${bounds.maxUpdateNorm}`;
  }
  return null;
}
