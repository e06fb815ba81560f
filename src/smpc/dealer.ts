/**
 * The dealer's material for one image: for each linear op a mask a of its
 * input and shares of B a (B the model owner's weight mask of the session),
 * for each batch of comparisons the gate keys, for the argmax index the
 * Beaver triples. Party 0 is the data owner, party 1 the model owner.
 */
import { gateGen, type GateShare } from './gate.js';
import { convRing } from './linear.js';
import type { Plan, Step } from './plan.js';
import { ringRandom } from './ring64.js';

export interface LinearShare {
  /** The input mask (data owner only). */
  a?: BigUint64Array;
  c: BigUint64Array;
  /** The data owner's delta a + c, computed offline (never sent). */
  pre?: BigUint64Array;
}

export interface BeaverShare {
  a: BigUint64Array;
  b: BigUint64Array;
  c: BigUint64Array;
}

export type StepShare = { type: 'linear'; share: LinearShare } | { type: 'gate'; share: GateShare } | { type: 'beaver'; share: BeaverShare };

function split(values: BigUint64Array): [BigUint64Array, BigUint64Array] {
  const a = ringRandom(values.length);
  const b = new BigUint64Array(values.length);
  for (let i = 0; i < values.length; i++) b[i] = values[i]! - a[i]!;
  return [a, b];
}

export function dealStep(plan: Plan, step: Step, weightMask: BigUint64Array): [StepShare, StepShare] {
  if (step.type === 'linear') {
    const op = plan.ops[step.op]!;
    if (op.kind !== 'conv') throw new Error('linear step on a non-conv op');
    const a = ringRandom(step.inSize);
    const ba = convRing(a, weightMask.subarray(step.weightOffset, step.weightOffset + step.weights), op.geometry);
    const [c0, c1] = split(ba);
    return [
      { type: 'linear', share: { a, c: c0 } },
      { type: 'linear', share: { c: c1 } },
    ];
  }
  if (step.type === 'gate') {
    const [g0, g1] = gateGen(step.spec);
    return [
      { type: 'gate', share: g0 },
      { type: 'gate', share: g1 },
    ];
  }
  const a = ringRandom(step.count);
  const b = ringRandom(step.count);
  const c = new BigUint64Array(step.count);
  for (let i = 0; i < step.count; i++) c[i] = a[i]! * b[i]!;
  const [a0, a1] = split(a);
  const [b0, b1] = split(b);
  const [c0, c1] = split(c);
  return [
    { type: 'beaver', share: { a: a0, b: b0, c: c0 } },
    { type: 'beaver', share: { a: a1, b: b1, c: c1 } },
  ];
}

/** Both parties' material for one image, in step order. */
export function dealImage(plan: Plan, steps: Step[], weightMask: BigUint64Array): [StepShare[], StepShare[]] {
  const p0: StepShare[] = [];
  const p1: StepShare[] = [];
  for (const step of steps) {
    const [s0, s1] = dealStep(plan, step, weightMask);
    p0.push(s0);
    p1.push(s1);
  }
  return [p0, p1];
}
