/**
 * A plan: the public description of a network as the parties run it (shapes,
 * fixed-point scales, comparison windows; no weights), plus the model
 * owner's private weights. The data owner and the dealer get the plan only.
 */
import { SmpcError } from './errors.js';
import { checkGateSpec, type GateSpec } from './gate.js';
import { poolWindows, weightCount, type ConvGeometry } from './linear.js';

export type PlanOp =
  | { kind: 'conv'; input: string; output: string; geometry: ConvGeometry }
  | { kind: 'relu'; input: string; output: string; window: number; shift: number }
  | { kind: 'maxpool'; input: string; output: string; shape: [number, number, number]; pool: number; stride: number; padding: 'same' | 'valid'; window: number; drop?: number }
  | { kind: 'sumpool'; input: string; output: string; positions: number; channels: number }
  | { kind: 'add'; inputs: [string, string]; output: string; lift: [number, number] };

export interface Plan {
  version: 1;
  input: { name: string; shape: [number, number, number]; fractionBits: number; limit: number };
  ops: PlanOp[];
  /** Element count and fixed-point scale (bits) of every tensor. */
  tensors: Record<string, { size: number; scale: number }>;
  logits: string;
  classes: number;
  /** Window of the argmax comparisons. */
  argmaxWindow: number;
  /** Whether the model owner lets the data owner see the logits (then the probabilities). */
  revealLogits: boolean;
}

/** Weights of one conv op, ring-encoded: w at the op's weight scale, bias at the output scale. */
export interface OpWeights {
  w: BigUint64Array;
  bias: BigUint64Array;
}

export type Step =
  | { type: 'linear'; op: number; inSize: number; outSize: number; weights: number; weightOffset: number }
  | { type: 'gate'; spec: GateSpec }
  | { type: 'beaver'; count: number };

/** Sizes of the successive levels of a max-pool tournament: gates per level. */
export function tournamentLevels(lengths: number[]): number[] {
  const levels: number[] = [];
  let cur = lengths.slice();
  while (cur.some((n) => n > 1)) {
    levels.push(cur.reduce((a, n) => a + Math.floor(n / 2), 0));
    cur = cur.map((n) => Math.ceil(n / 2));
  }
  return levels;
}

/** Every piece of dealer material one image needs, in the order the parties use it. */
export function planSteps(plan: Plan): Step[] {
  const steps: Step[] = [];
  let weightOffset = 0;
  plan.ops.forEach((op, i) => {
    if (op.kind === 'conv') {
      const g = op.geometry;
      const weights = weightCount(g);
      steps.push({ type: 'linear', op: i, inSize: g.inH * g.inW * g.inC, outSize: g.outH * g.outW * g.outC, weights, weightOffset });
      weightOffset += weights;
    } else if (op.kind === 'relu') {
      // A ReLU's comparison skips the bits its truncation drops (gate.ts): same error, shorter keys.
      steps.push({ type: 'gate', spec: { count: plan.tensors[op.input]!.size, window: op.window, shift: op.shift, drop: op.shift } });
    } else if (op.kind === 'maxpool') {
      const { windows } = poolWindows(op.shape, op.pool, op.stride, op.padding);
      for (const count of tournamentLevels(windows.map((w) => w.length))) steps.push({ type: 'gate', spec: { count, window: op.window, shift: 0, drop: op.drop ?? 0 } });
    }
  });
  for (let j = 1; j < plan.classes; j++) {
    steps.push({ type: 'gate', spec: { count: 1, window: plan.argmaxWindow, shift: 0 } });
    if (j >= 2) steps.push({ type: 'beaver', count: 1 });
  }
  return steps;
}

export function totalWeights(plan: Plan): number {
  return plan.ops.reduce((a, op) => a + (op.kind === 'conv' ? weightCount(op.geometry) : 0), 0);
}

const MAX_ELEMENTS = 1 << 27;

/** Checks a plan that came from a peer: known ops, consistent sizes, bounded. */
export function checkPlan(plan: Plan): void {
  const fail = (msg: string): never => {
    throw new SmpcError('plan', `plan: ${msg}`);
  };
  if (plan?.version !== 1) fail(`version ${String(plan?.version)} is not 1`);
  const size = (name: string): number => {
    const t = plan.tensors[name];
    if (!t || !Number.isInteger(t.size) || t.size < 1 || t.size > MAX_ELEMENTS) fail(`tensor '${name}' is unknown or has a bad size`);
    return t!.size;
  };
  const [h, w, c] = plan.input.shape;
  if (size(plan.input.name) !== h * w * c) fail('input size does not match its shape');
  if (!(plan.input.limit > 0)) fail('input limit must be positive');
  for (const [i, op] of plan.ops.entries()) {
    if (op.kind === 'conv') {
      const g = op.geometry;
      if (size(op.input) !== g.inH * g.inW * g.inC || size(op.output) !== g.outH * g.outW * g.outC) fail(`op ${i} (conv) sizes do not match its geometry`);
    } else if (op.kind === 'relu') {
      checkGateSpec({ count: size(op.input), window: op.window, shift: op.shift, drop: op.shift });
      if (size(op.output) !== size(op.input)) fail(`op ${i} (relu) changes the size`);
    } else if (op.kind === 'maxpool') {
      checkGateSpec({ count: 0, window: op.window, shift: 0, drop: op.drop ?? 0 });
      const { windows } = poolWindows(op.shape, op.pool, op.stride, op.padding);
      if (size(op.input) !== op.shape[0] * op.shape[1] * op.shape[2] || size(op.output) !== windows.length) fail(`op ${i} (maxpool) sizes do not match`);
    } else if (op.kind === 'sumpool') {
      if (size(op.input) !== op.positions * op.channels || size(op.output) !== op.channels) fail(`op ${i} (sumpool) sizes do not match`);
    } else if (op.kind === 'add') {
      if (size(op.inputs[0]) !== size(op.output) || size(op.inputs[1]) !== size(op.output)) fail(`op ${i} (add) sizes differ`);
      if (!op.lift.every((l) => Number.isInteger(l) && l >= 0 && l < 40)) fail(`op ${i} (add) lift out of range`);
    } else {
      fail(`op ${i} has unknown kind '${(op as { kind: string }).kind}'`);
    }
  }
  if (size(plan.logits) !== plan.classes || plan.classes < 2) fail('logits must have one element per class, at least 2');
  checkGateSpec({ count: 1, window: plan.argmaxWindow, shift: 0 });
}
