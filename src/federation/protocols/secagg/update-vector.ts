/**
 * The vector a node feeds into secure aggregation: its update
 * u = w_node - w_global, tensor after tensor, plus one coordinate that says
 * which share of u's coordinates exceeded the clip (scaled by the clip, so it
 * stays inside the clip range).
 *
 * Why the update and not the weights: SecAgg+ clips every coordinate to
 * [-clip, clip] and quantises that range into a fixed number of steps, so the
 * smaller the range the finer the steps. Updates are an order of magnitude or
 * more smaller than weights (and centred on 0), and clipping the update also
 * bounds what one node can move the model. docs/federation.md gives the
 * measured error. The clipped share lets the coordinator see - summed over
 * all nodes only - when the clip is too tight.
 */
import { PrivmedError } from '../../../common/errors.js';

/** Coordinates of the aggregated vector for a model with `parameters` values. */
export function secAggVectorLength(parameters: number): number {
  return parameters + 1;
}

export interface FlatUpdate {
  values: Float64Array;
  /** L2 norm of w_node - w_global (before clipping). */
  norm: number;
  /** Non-finite values in the trained weights (an update that must not be sent). */
  nonFinite: number;
  clippedFraction: number;
}

export function flattenUpdate(global: readonly Float32Array[], trained: readonly Float32Array[], clip: number): FlatUpdate {
  if (global.length !== trained.length) {
    throw new PrivmedError(`the trainer returned ${trained.length} weight tensors for a model of ${global.length}`);
  }
  const parameters = global.reduce((n, t) => n + t.length, 0);
  const values = new Float64Array(secAggVectorLength(parameters));
  let at = 0;
  let squared = 0;
  let nonFinite = 0;
  let clipped = 0;
  global.forEach((g, t) => {
    const w = trained[t]!;
    if (w.length !== g.length) throw new PrivmedError(`the trainer returned ${w.length} values for tensor ${t}, the model has ${g.length}`);
    for (let i = 0; i < g.length; i++, at++) {
      const u = w[i]! - g[i]!;
      if (!Number.isFinite(u)) {
        nonFinite++;
        continue;
      }
      squared += u * u;
      if (Math.abs(u) > clip) clipped++;
      values[at] = u;
    }
  });
  const clippedFraction = parameters > 0 ? clipped / parameters : 0;
  values[parameters] = clippedFraction * clip;
  return { values, norm: Math.sqrt(squared), nonFinite, clippedFraction };
}

/** Global weights plus the aggregated mean update, and the (sample-weighted) share of clipped coordinates. */
export function applyMeanUpdate(global: readonly Float32Array[], mean: Float64Array, clip: number): { weights: Float32Array[]; clippedFraction: number } {
  const parameters = global.reduce((n, t) => n + t.length, 0);
  if (mean.length !== secAggVectorLength(parameters)) {
    throw new PrivmedError(`secure aggregation returned ${mean.length} values for a model of ${parameters} parameters`);
  }
  let at = 0;
  const weights = global.map((g) => {
    const out = new Float32Array(g.length);
    for (let i = 0; i < g.length; i++, at++) out[i] = g[i]! + mean[at]!;
    return out;
  });
  return { weights, clippedFraction: mean[parameters]! / clip };
}
