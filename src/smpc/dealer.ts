/**
 * The dealer's material for one image: for each linear op a mask a of its
 * input and shares of B a (B the model owner's weight mask of the session),
 * for each batch of comparisons the gate keys, for the argmax index the
 * Beaver triples. Party 0 is the data owner, party 1 the model owner.
 */
import { prgBytes } from './aes-prg.js';
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
  /** The data owner's a and the model owner's c expand from it (linearSeedRings). */
  seed: Uint8Array;
}

export interface BeaverShare {
  a: BigUint64Array;
  b: BigUint64Array;
  c: BigUint64Array;
  /** Party 0's a, b and party 1's a, b, c expand from it (beaverSeedRings). */
  seed: Uint8Array;
  party: 0 | 1;
}

const ringsOf = (seed: Uint8Array, sizes: number[]): BigUint64Array[] => {
  const all = prgBytes(seed, 8 * sizes.reduce((a, n) => a + n, 0));
  let off = 0;
  return sizes.map((n) => {
    const v = new BigUint64Array(all.buffer, off, n);
    off += 8 * n;
    return v;
  });
};

/** A linear step's pseudorandom rings: party 0 its input mask a, party 1 its share c. */
export function linearSeedRings(seed: Uint8Array, party: 0 | 1, inSize: number, outSize: number): BigUint64Array {
  return ringsOf(seed, [party === 0 ? inSize : outSize])[0]!;
}

/** A Beaver step's pseudorandom rings: party 0 a, b; party 1 a, b, c. */
export function beaverSeedRings(seed: Uint8Array, party: 0 | 1, count: number): BigUint64Array[] {
  return ringsOf(seed, party === 0 ? [count, count] : [count, count, count]);
}

const newSeed = (): Uint8Array => new Uint8Array(ringRandom(2).buffer);

export type StepShare = { type: 'linear'; share: LinearShare } | { type: 'gate'; share: GateShare } | { type: 'beaver'; share: BeaverShare };

const minus = (v: BigUint64Array, b: BigUint64Array): BigUint64Array => {
  const out = new BigUint64Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i]! - b[i]!;
  return out;
};

export function dealStep(plan: Plan, step: Step, weightMask: BigUint64Array): [StepShare, StepShare] {
  if (step.type === 'linear') {
    const op = plan.ops[step.op]!;
    if (op.kind !== 'conv') throw new Error('linear step on a non-conv op');
    const [seed0, seed1] = [newSeed(), newSeed()];
    const a = linearSeedRings(seed0, 0, step.inSize, step.outSize);
    const c1 = linearSeedRings(seed1, 1, step.inSize, step.outSize);
    const ba = convRing(a, weightMask.subarray(step.weightOffset, step.weightOffset + step.weights), op.geometry);
    return [
      { type: 'linear', share: { a, c: minus(ba, c1), seed: seed0 } },
      { type: 'linear', share: { c: c1, seed: seed1 } },
    ];
  }
  if (step.type === 'gate') {
    const [g0, g1] = gateGen(step.spec);
    return [
      { type: 'gate', share: g0 },
      { type: 'gate', share: g1 },
    ];
  }
  const [seed0, seed1] = [newSeed(), newSeed()];
  const [a0, b0] = beaverSeedRings(seed0, 0, step.count) as [BigUint64Array, BigUint64Array];
  const [a1, b1, c1] = beaverSeedRings(seed1, 1, step.count) as [BigUint64Array, BigUint64Array, BigUint64Array];
  const c0 = new BigUint64Array(step.count);
  for (let i = 0; i < step.count; i++) c0[i] = (a0[i]! + a1[i]!) * (b0[i]! + b1[i]!) - c1[i]!;
  return [
    { type: 'beaver', share: { a: a0, b: b0, c: c0, seed: seed0, party: 0 } },
    { type: 'beaver', share: { a: a1, b: b1, c: c1, seed: seed1, party: 1 } },
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
