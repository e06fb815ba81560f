/**
 * The plan evaluated in the clear in the same fixed-point arithmetic (exact
 * floor shifts): what the encrypted run must match up to one unit per gate.
 * Tests and the model owner's calibration use it; it returns every tensor.
 */
import { SmpcError } from './errors.js';
import { addBiasRing, convRing, poolWindows, sumPoolRing } from './linear.js';
import type { OpWeights, Plan } from './plan.js';
import { ringAdd, ringShiftLeft } from './ring64.js';

export function referenceForward(plan: Plan, weights: Map<number, OpWeights>, input: BigUint64Array): Map<string, BigUint64Array> {
  const values = new Map<string, BigUint64Array>([[plan.input.name, input]]);
  const get = (n: string): BigUint64Array => {
    const v = values.get(n);
    if (!v) throw new SmpcError('plan', `tensor '${n}' is used before it is computed`);
    return v;
  };
  for (const [i, op] of plan.ops.entries()) {
    if (op.kind === 'conv') {
      const w = weights.get(i)!;
      const y = convRing(get(op.input), w.w, op.geometry);
      addBiasRing(y, w.bias);
      values.set(op.output, y);
    } else if (op.kind === 'relu') {
      const x = get(op.input);
      const out = new BigUint64Array(x.length);
      const t = BigInt(op.shift);
      for (let k = 0; k < x.length; k++) {
        const v = BigInt.asIntN(64, x[k]!);
        out[k] = v > 0n ? v >> t : 0n;
      }
      values.set(op.output, out);
    } else if (op.kind === 'maxpool') {
      const x = get(op.input);
      const { windows } = poolWindows(op.shape, op.pool, op.stride, op.padding);
      const out = new BigUint64Array(windows.length);
      windows.forEach((win, k) => {
        let best = BigInt.asIntN(64, x[win[0]!]!);
        for (const j of win) {
          const v = BigInt.asIntN(64, x[j]!);
          if (v > best) best = v;
        }
        out[k] = best;
      });
      values.set(op.output, out);
    } else if (op.kind === 'sumpool') {
      values.set(op.output, sumPoolRing(get(op.input), op.positions, op.channels));
    } else {
      const [a, b] = op.inputs.map((n, k) => (op.lift[k] ? ringShiftLeft(get(n), op.lift[k]!) : get(n)));
      values.set(op.output, ringAdd(a!, b!));
    }
  }
  return values;
}

/** Index of the largest signed element (the first one on ties). */
export function ringArgmax(v: BigUint64Array): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (BigInt.asIntN(64, v[i]!) > BigInt.asIntN(64, v[best]!)) best = i;
  return best;
}
