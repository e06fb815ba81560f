/**
 * One computing party running a plan on one image: party 0 is the data owner
 * (holds the image and delta = W - B), party 1 the model owner (holds W).
 * Both walk the same ops in the same order and consume the dealer's material
 * step by step. Only party 0 learns the class (and the logits, when the plan
 * says the model owner allows it).
 */
import type { StepShare, LinearShare, BeaverShare } from './dealer.js';
import { SmpcError } from './errors.js';
import { gateBitShare, gateDigitBytes, gateDigitShare, gateFinish, gateOpenBytes, gateOpenShare, type GateOutput, type GateShare } from './gate.js';
import { addBiasRing, convRing, poolWindows, sumPoolRing } from './linear.js';
import type { Link } from './link.js';
import type { OpWeights, Plan } from './plan.js';
import { ringAdd, ringBytes, ringFromBytes, ringFromLowBytes, ringLowBytes, ringShiftLeft, ringSub, ringZeros } from './ring64.js';

export interface PartyContext {
  party: 0 | 1;
  plan: Plan;
  link: Link;
  /** Per conv op index: the model owner's W and bias, or the data owner's delta (bias empty). */
  weights: Map<number, OpWeights>;
}

export interface ImageResult {
  /** The class index (data owner only). */
  classIndex?: number;
  /** Shares of the logits reconstructed (data owner only, when the plan reveals them). */
  logits?: BigUint64Array;
}

/** The data owner's offline part: delta a + c for every linear op, computed before the image exists. */
export function precompute(ctx: PartyContext, material: StepShare[]): void {
  if (ctx.party !== 0) return;
  const convOps: number[] = [];
  ctx.plan.ops.forEach((op, i) => {
    if (op.kind === 'conv') convOps.push(i);
  });
  let k = 0;
  for (const m of material) {
    if (m.type !== 'linear') continue;
    const i = convOps[k++]!;
    const op = ctx.plan.ops[i]!;
    const w = ctx.weights.get(i);
    if (op.kind !== 'conv' || !w || !m.share.a) throw new SmpcError('material', `dealer material does not fit linear op ${i}`);
    m.share.pre ??= ringAdd(convRing(m.share.a, w.w, op.geometry), m.share.c);
  }
}

class Cursor {
  private i = 0;
  constructor(private readonly items: StepShare[]) {}
  next<T extends StepShare['type']>(type: T): Extract<StepShare, { type: T }>['share'] {
    const item = this.items[this.i++];
    if (!item || item.type !== type) throw new SmpcError('material', `dealer material: expected a ${type} step at position ${this.i - 1}, found ${item?.type ?? 'nothing'}`);
    return item.share as never;
  }
  done(): boolean {
    return this.i === this.items.length;
  }
}

async function receiveRing(link: Link, length: number, what: string): Promise<BigUint64Array> {
  return ringFromBytes(await link.receive(), length, what);
}

export async function runGate(ctx: PartyContext, key: GateShare, z: BigUint64Array): Promise<GateOutput> {
  const mine = gateOpenShare(key, z);
  const width = gateOpenBytes(key);
  ctx.link.send(ringLowBytes(mine, width));
  const zhat = ringAdd(mine, ringFromLowBytes(await ctx.link.receive(), key.count, width, 'gate opening'));
  let digits: [Uint8Array, Uint8Array] = [new Uint8Array(0), new Uint8Array(0)];
  if (gateDigitBytes(key) > 0) {
    const myDigits = gateDigitShare(key, zhat);
    ctx.link.send(myDigits);
    const theirs = await ctx.link.receive();
    digits = ctx.party === 0 ? [myDigits, theirs] : [theirs, myDigits];
  }
  const bits = gateBitShare(key, zhat, digits[0], digits[1]);
  ctx.link.send(bits);
  const other = await ctx.link.receive();
  return ctx.party === 0 ? gateFinish(key, zhat, bits, other) : gateFinish(key, zhat, other, bits);
}

async function beaverMultiply(ctx: PartyContext, t: BeaverShare, x: BigUint64Array, y: BigUint64Array): Promise<BigUint64Array> {
  const n = x.length;
  const mine = new BigUint64Array(2 * n);
  for (let i = 0; i < n; i++) {
    mine[i] = x[i]! - t.a[i]!;
    mine[n + i] = y[i]! - t.b[i]!;
  }
  ctx.link.send(ringBytes(mine));
  const theirs = await receiveRing(ctx.link, 2 * n, 'multiplication opening');
  const out = new BigUint64Array(n);
  for (let i = 0; i < n; i++) {
    const d = mine[i]! + theirs[i]!;
    const e = mine[n + i]! + theirs[n + i]!;
    out[i] = t.c[i]! + d * t.b[i]! + e * t.a[i]! + (ctx.party === 0 ? d * e : 0n);
  }
  return out;
}

async function linear(ctx: PartyContext, opIndex: number, share: LinearShare, x: BigUint64Array): Promise<BigUint64Array> {
  const op = ctx.plan.ops[opIndex]!;
  if (op.kind !== 'conv') throw new SmpcError('plan', `op ${opIndex} is not linear`);
  const w = ctx.weights.get(opIndex);
  if (!w) throw new SmpcError('plan', `no weights for op ${opIndex}`);
  if (ctx.party === 0) {
    if (!share.a) throw new SmpcError('material', `dealer material for op ${opIndex} has no input mask`);
    ctx.link.send(ringBytes(ringSub(x, share.a)));
    return share.pre ?? ringAdd(convRing(share.a, w.w, op.geometry), share.c);
  }
  const eps = await receiveRing(ctx.link, x.length, `masked input of op ${opIndex}`);
  const y = convRing(ringAdd(x, eps), w.w, op.geometry);
  addBiasRing(y, w.bias);
  return ringAdd(y, share.c);
}

type MaxPoolOp = Extract<Plan['ops'][number], { kind: 'maxpool' }>;
interface Tournament {
  /** Per level: compared pairs (a, b) and where each next value comes from (>= 0 carried, < 0 pair -(k + 1)). */
  levels: { a: Int32Array; b: Int32Array; sources: Int32Array }[];
  /** Index of each output in the last level's values. */
  out: Int32Array;
}
const tournaments = new WeakMap<MaxPoolOp, Tournament>();

/** The pairings of a max pool's tournament, built once per op (index lists, no ring values). */
function tournamentOf(op: MaxPoolOp): Tournament {
  const cached = tournaments.get(op);
  if (cached) return cached;
  let lists = poolWindows(op.shape, op.pool, op.stride, op.padding).windows;
  const levels: Tournament['levels'] = [];
  while (lists.some((l) => l.length > 1)) {
    const a: number[] = [];
    const b: number[] = [];
    const next: number[][] = [];
    const sources: number[] = [];
    for (const list of lists) {
      const out: number[] = [];
      for (let k = 0; k + 1 < list.length; k += 2) {
        a.push(list[k]!);
        b.push(list[k + 1]!);
        out.push(sources.length);
        sources.push(-a.length);
      }
      if (list.length % 2 === 1) {
        out.push(sources.length);
        sources.push(list[list.length - 1]!);
      }
      next.push(out);
    }
    levels.push({ a: Int32Array.from(a), b: Int32Array.from(b), sources: Int32Array.from(sources) });
    lists = next;
  }
  const t = { levels, out: Int32Array.from(lists, (l) => l[0]!) };
  tournaments.set(op, t);
  return t;
}

async function maxPool(ctx: PartyContext, cursor: Cursor, op: MaxPoolOp, x: BigUint64Array): Promise<BigUint64Array> {
  const { levels, out: outIndex } = tournamentOf(op);
  let values = x;
  for (const { a, b, sources } of levels) {
    const z = new BigUint64Array(a.length);
    for (let i = 0; i < a.length; i++) z[i] = values[a[i]!]! - values[b[i]!]!;
    const { relu } = await runGate(ctx, cursor.next('gate'), z);
    // max(a, b) = b + relu(a - b)
    const nextValues = new BigUint64Array(sources.length);
    for (let i = 0; i < sources.length; i++) {
      const s = sources[i]!;
      if (s >= 0) nextValues[i] = values[s]!;
      else nextValues[i] = values[b[-s - 1]!]! + relu[-s - 1]!;
    }
    values = nextValues;
  }
  const out = new BigUint64Array(outIndex.length);
  for (let i = 0; i < outIndex.length; i++) out[i] = values[outIndex[i]!]!;
  return out;
}

async function argmax(ctx: PartyContext, cursor: Cursor, logits: BigUint64Array): Promise<BigUint64Array> {
  let best: BigUint64Array = logits.slice(0, 1);
  let index: BigUint64Array = ringZeros(1);
  for (let j = 1; j < logits.length; j++) {
    // l_j - best - 1 >= 0 iff l_j > best: ties keep the first class, as plaintext argmax does.
    const z = new BigUint64Array([logits[j]! - best[0]! - (ctx.party === 0 ? 1n : 0n)]);
    const g = await runGate(ctx, cursor.next('gate'), z);
    // relu(l_j - best - 1) + pos = l_j - best when l_j > best, else 0: best stays exact.
    best = ringAdd(ringAdd(best, g.relu), g.pos);
    if (j === 1) index = g.pos;
    else {
      const d = new BigUint64Array([(ctx.party === 0 ? BigInt(j) : 0n) - index[0]!]);
      index = ringAdd(index, await beaverMultiply(ctx, cursor.next('beaver'), g.pos, d));
    }
  }
  return index;
}

/** Runs the plan; `input` is the data owner's encoded image (party 1 passes nothing). */
export async function runImage(ctx: PartyContext, material: StepShare[], input?: BigUint64Array): Promise<ImageResult> {
  const { plan, party, link } = ctx;
  const values = new Map<string, BigUint64Array>();
  const inSize = plan.tensors[plan.input.name]!.size;
  if (party === 0) {
    if (!input || input.length !== inSize) throw new SmpcError('shape', `the image has ${input?.length ?? 0} values, the model expects ${inSize}`);
    values.set(plan.input.name, input);
  } else values.set(plan.input.name, ringZeros(inSize));
  const get = (name: string): BigUint64Array => {
    const v = values.get(name);
    if (!v) throw new SmpcError('plan', `tensor '${name}' is used before it is computed`);
    return v;
  };
  const cursor = new Cursor(material);
  for (const [i, op] of plan.ops.entries()) {
    if (op.kind === 'conv') values.set(op.output, await linear(ctx, i, cursor.next('linear'), get(op.input)));
    else if (op.kind === 'relu') values.set(op.output, (await runGate(ctx, cursor.next('gate'), get(op.input))).relu);
    else if (op.kind === 'maxpool') values.set(op.output, await maxPool(ctx, cursor, op, get(op.input)));
    else if (op.kind === 'sumpool') values.set(op.output, sumPoolRing(get(op.input), op.positions, op.channels));
    else {
      const [a, b] = op.inputs.map((n, k) => (op.lift[k] ? ringShiftLeft(get(n), op.lift[k]!) : get(n)));
      values.set(op.output, ringAdd(a!, b!));
    }
  }
  const logits = get(plan.logits);
  const index = await argmax(ctx, cursor, logits);
  if (!cursor.done()) throw new SmpcError('material', 'dealer material has more steps than the plan uses');
  if (party === 1) {
    link.send(ringBytes(index));
    if (plan.revealLogits) link.send(ringBytes(logits));
    return {};
  }
  const theirs = await receiveRing(link, 1, 'class share');
  const classIndex = Number(BigInt.asUintN(64, index[0]! + theirs[0]!));
  if (classIndex >= plan.classes) throw new SmpcError('message', `the reconstructed class ${classIndex} is not below ${plan.classes}: material or messages were corrupted`);
  const result: ImageResult = { classIndex };
  if (plan.revealLogits) result.logits = ringAdd(logits, await receiveRing(link, plan.classes, 'logit shares'));
  return result;
}
