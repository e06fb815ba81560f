/**
 * Once per session (model, data owner): the dealer and the model owner share
 * a seed that expands to a mask B of all the weights; the model owner sends
 * the data owner delta = W - B. A new session means a new seed: one B for two
 * different W would reveal W - W'.
 */
import { expandRing, randomSeeds } from './aes-prg.js';
import { SmpcError } from './errors.js';
import { weightCount } from './linear.js';
import { totalWeights, type OpWeights, type Plan } from './plan.js';

export function newSessionSeed(): Uint8Array {
  return randomSeeds(1);
}

export function weightMask(plan: Plan, seed: Uint8Array): BigUint64Array {
  if (seed.length !== 16) throw new SmpcError('message', `session seed: expected 16 bytes, got ${seed.length}`);
  return expandRing(seed, totalWeights(plan));
}

/** The model owner's delta = W - B, all conv ops in plan order, one vector. */
export function maskWeights(plan: Plan, weights: Map<number, OpWeights>, mask: BigUint64Array): BigUint64Array {
  const out = new BigUint64Array(mask.length);
  let off = 0;
  plan.ops.forEach((op, i) => {
    if (op.kind !== 'conv') return;
    const w = weights.get(i)!.w;
    for (let j = 0; j < w.length; j++) out[off + j] = w[j]! - mask[off + j]!;
    off += w.length;
  });
  return out;
}

/** The data owner's per-op view of delta (bias empty: the model owner adds it). */
export function deltaWeights(plan: Plan, delta: BigUint64Array): Map<number, OpWeights> {
  if (delta.length !== totalWeights(plan)) throw new SmpcError('message', `masked weights: expected ${totalWeights(plan)} elements, got ${delta.length}`);
  const out = new Map<number, OpWeights>();
  let off = 0;
  plan.ops.forEach((op, i) => {
    if (op.kind !== 'conv') return;
    const n = weightCount(op.geometry);
    out.set(i, { w: delta.subarray(off, off + n), bias: new BigUint64Array(0) });
    off += n;
  });
  return out;
}
