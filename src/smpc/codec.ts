/**
 * Dealer material on the wire: one message per step, its layout fixed by the
 * public step (sizes follow from the plan), so a receiver checks the exact
 * length before it reads anything.
 */
import { beaverSeedRings, linearSeedRings, type StepShare } from './dealer.js';
import { SmpcError } from './errors.js';
import { tableBytes } from './digit-compare.js';
import { expandGateSeed, gateCompareBits, gateMonomials, type GateShare } from './gate.js';
import type { Step } from './plan.js';

const packedBits = (n: number): number => (n + 7) >> 3;

function packBits(bits: Uint8Array): Uint8Array {
  const out = new Uint8Array(packedBits(bits.length));
  for (let i = 0; i < bits.length; i++) if (bits[i]) out[i >> 3] = out[i >> 3]! | (1 << (i & 7));
  return out;
}

function unpackBits(bytes: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (bytes[i >> 3]! >> (i & 7)) & 1;
  return out;
}

const SEED = 16;

/**
 * Bytes of one party's material for a step. Each step starts with the
 * party's 16-byte seed; what it expands to (dealer.ts, gate.ts) does not
 * travel: party 1 gets its ring shares that way, party 0 its input masks,
 * Beaver a and b, comparison tables and mask bits, both their R shares and
 * the masks of the comparison's opened bits.
 */
export function stepBytes(step: Step, party: 0 | 1): number {
  if (step.type === 'linear') return SEED + (party === 0 ? 8 * step.outSize : 0);
  if (step.type === 'beaver') return SEED + (party === 0 ? 8 * step.count : 0);
  const { count } = step.spec;
  if (party === 0) return SEED + 8 * gateMonomials(step.spec) * count;
  return SEED + packedBits(count) + tableBytes(gateCompareBits(step.spec), count);
}

export function encodeStep(share: StepShare): Uint8Array[] {
  const u8 = (v: BigUint64Array | Uint8Array): Uint8Array => new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (share.type === 'linear') return share.share.a ? [share.share.seed, u8(share.share.c)] : [share.share.seed];
  if (share.type === 'beaver') return share.share.party === 0 ? [share.share.seed, u8(share.share.c)] : [share.share.seed];
  const g = share.share;
  return g.party === 0 ? [g.seed, ...g.mono.map(u8)] : [g.seed, packBits(g.maskBit), g.tables];
}

export function decodeStep(step: Step, party: 0 | 1, bytes: Uint8Array): StepShare {
  const expected = stepBytes(step, party);
  if (bytes.byteLength !== expected) throw new SmpcError('message', `dealer material for a ${step.type} step: expected ${expected} bytes, got ${bytes.byteLength}`);
  const own = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  let off = 0;
  const ring = (n: number): BigUint64Array => {
    const v = new BigUint64Array(own.buffer, own.byteOffset + off, n);
    off += 8 * n;
    return v;
  };
  const raw = (n: number): Uint8Array => {
    const v = own.subarray(off, off + n);
    off += n;
    return v;
  };
  // 16 bytes: the ring parts after it stay 8-aligned.
  const seed = raw(SEED).slice();
  if (step.type === 'linear') {
    if (party === 1) return { type: 'linear', share: { c: linearSeedRings(seed, 1, step.inSize, step.outSize), seed } };
    return { type: 'linear', share: { a: linearSeedRings(seed, 0, step.inSize, step.outSize), c: ring(step.outSize), seed } };
  }
  if (step.type === 'beaver') {
    const rings = beaverSeedRings(seed, party, step.count);
    const [a, b] = rings as [BigUint64Array, BigUint64Array];
    return { type: 'beaver', share: { a, b, c: party === 0 ? ring(step.count) : rings[2]!, seed, party } };
  }
  const spec = step.spec;
  const { count } = spec;
  const expanded = expandGateSeed(spec, party, seed);
  const [R, ...seeded] = expanded.rings as [BigUint64Array, ...BigUint64Array[]];
  let share: GateShare;
  if (party === 0) {
    const mono = Array.from({ length: gateMonomials(spec) }, () => ring(count));
    share = { ...spec, party, R, mono, maskBit: expanded.bits, tables: expanded.tables, masks: expanded.masks, seed };
  } else {
    const maskBit = unpackBits(raw(packedBits(count)), count);
    const tables = raw(tableBytes(gateCompareBits(spec), count)).slice();
    share = { ...spec, party, R, mono: seeded, maskBit, tables, masks: expanded.masks, seed };
  }
  return { type: 'gate', share };
}
