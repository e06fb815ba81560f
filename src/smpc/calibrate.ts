/**
 * Narrows each gate's comparison window to what the model needs: the largest
 * |input| seen on calibration images, times 2^headroom. A narrower window
 * means shorter comparison keys (the dealer's bytes grow with it). An
 * activation beyond its window gives a wrong sign, silently; the headroom and
 * the data owner's input range check are what guard against that.
 */
import { SmpcError } from './errors.js';
import { MAX_WINDOW } from './gate.js';
import type { OpWeights, Plan } from './plan.js';
import { referenceForward } from './reference.js';

const maxAbs = (v: BigUint64Array): bigint => {
  let m = 0n;
  for (const x of v) {
    const s = BigInt.asIntN(64, x);
    const a = s < 0n ? -s : s;
    if (a > m) m = a;
  }
  return m;
};

/** Smallest window w with |z| < 2^(w-1) for |z| <= bound * 2^headroom. */
function windowFor(bound: bigint, headroom: number, what: string): number {
  const w = bound.toString(2).length + headroom + 1;
  if (w > MAX_WINDOW) throw new SmpcError('range', `${what}: activations up to ${bound} need a ${w}-bit window, more than ${MAX_WINDOW}`, { hint: 'the model or its inputs are too large for 12 fractional bits' });
  return Math.max(w, 8);
}

export interface Calibration {
  plan: Plan;
  /** Per gate op output name: the largest |input| seen (ring units). */
  maxima: Record<string, string>;
}

export function calibrateWindows(plan: Plan, weights: Map<number, OpWeights>, inputs: BigUint64Array[], headroom: number): Calibration {
  if (inputs.length === 0) throw new SmpcError('plan', 'calibration needs at least one input');
  const maxima = new Map<string, bigint>();
  for (const input of inputs) {
    const values = referenceForward(plan, weights, input);
    for (const op of plan.ops) {
      if (op.kind !== 'relu' && op.kind !== 'maxpool') continue;
      // Max-pool gates see differences of two inputs: twice the bound.
      const m = maxAbs(values.get(op.input)!) * (op.kind === 'maxpool' ? 2n : 1n);
      maxima.set(op.output, m > (maxima.get(op.output) ?? 0n) ? m : maxima.get(op.output)!);
    }
    const l = maxAbs(values.get(plan.logits)!) * 2n + 1n;
    maxima.set('argmax', l > (maxima.get('argmax') ?? 0n) ? l : maxima.get('argmax')!);
  }
  const ops = plan.ops.map((op) => {
    if (op.kind !== 'relu' && op.kind !== 'maxpool') return op;
    const window = Math.max(windowFor(maxima.get(op.output)!, headroom, `op ${op.output}`), (op.kind === 'relu' ? op.shift : (op.drop ?? 0)) + 2);
    return { ...op, window };
  });
  return {
    plan: { ...plan, ops, argmaxWindow: windowFor(maxima.get('argmax')!, headroom, 'argmax') },
    maxima: Object.fromEntries([...maxima].map(([k, v]) => [k, v.toString()])),
  };
}
