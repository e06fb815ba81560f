/**
 * Dealer material on the wire: one message per step, its layout fixed by the
 * public step (sizes follow from the plan), so a receiver checks the exact
 * length before it reads anything.
 */
import { beaverSeedRings, linearSeedRings, type StepShare } from './dealer.js';
import { SmpcError } from './errors.js';
import { dcfLevels } from './dcf.js';
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

/** Values 0..7, three bits each (value i at bits 3i..3i+2, little-endian); eight values make three bytes. */
function pack3(values: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil((3 * values.length) / 8));
  const groups = values.length >> 3;
  for (let k = 0; k < groups; k++) {
    const i = 8 * k;
    const w =
      values[i]! | (values[i + 1]! << 3) | (values[i + 2]! << 6) | (values[i + 3]! << 9) | (values[i + 4]! << 12) | (values[i + 5]! << 15) | (values[i + 6]! << 18) | (values[i + 7]! << 21);
    out[3 * k] = w & 0xff;
    out[3 * k + 1] = (w >>> 8) & 0xff;
    out[3 * k + 2] = w >>> 16;
  }
  for (let i = 8 * groups; i < values.length; i++) {
    const bit = 3 * i;
    const v = values[i]! << (bit & 7);
    out[bit >> 3] = out[bit >> 3]! | (v & 0xff);
    if (v > 0xff) out[(bit >> 3) + 1] = out[(bit >> 3) + 1]! | (v >> 8);
  }
  return out;
}

function unpack3(bytes: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(n);
  const groups = n >> 3;
  for (let k = 0; k < groups; k++) {
    const w = bytes[3 * k]! | (bytes[3 * k + 1]! << 8) | (bytes[3 * k + 2]! << 16);
    const i = 8 * k;
    out[i] = w & 7;
    out[i + 1] = (w >>> 3) & 7;
    out[i + 2] = (w >>> 6) & 7;
    out[i + 3] = (w >>> 9) & 7;
    out[i + 4] = (w >>> 12) & 7;
    out[i + 5] = (w >>> 15) & 7;
    out[i + 6] = (w >>> 18) & 7;
    out[i + 7] = (w >>> 21) & 7;
  }
  for (let i = 8 * groups; i < n; i++) {
    const bit = 3 * i;
    const word = bytes[bit >> 3]! | ((bytes[(bit >> 3) + 1] ?? 0) << 8);
    out[i] = (word >> (bit & 7)) & 7;
  }
  return out;
}

const SEED = 16;

/**
 * Bytes of one party's material for a step. Each step starts with the
 * party's 16-byte seed; what it expands to (dealer.ts, gate.ts) does not
 * travel: party 1 gets its ring shares that way, party 0 its input masks,
 * Beaver a and b, DCF roots and mask bits.
 */
export function stepBytes(step: Step, party: 0 | 1): number {
  if (step.type === 'linear') return SEED + (party === 0 ? 8 * step.outSize : 0);
  if (step.type === 'beaver') return SEED + (party === 0 ? 8 * step.count : 0);
  const { count } = step.spec;
  const levels = dcfLevels(gateCompareBits(step.spec));
  const rings = party === 0 ? 8 * (1 + gateMonomials(step.spec)) * count : 0;
  return SEED + rings + (party === 1 ? packedBits(count) : 0) + 16 * levels * count + Math.ceil((3 * levels * count) / 8) + 16 * count;
}

export function encodeStep(share: StepShare): Uint8Array[] {
  const u8 = (v: BigUint64Array | Uint8Array): Uint8Array => new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (share.type === 'linear') return share.share.a ? [share.share.seed, u8(share.share.c)] : [share.share.seed];
  if (share.type === 'beaver') return share.share.party === 0 ? [share.share.seed, u8(share.share.c)] : [share.share.seed];
  const g = share.share;
  const head = g.party === 0 ? [g.seed, u8(g.R), ...g.mono.map(u8)] : [g.seed, packBits(g.maskBit)];
  return [...head, g.dcf.cw, pack3(g.dcf.cwBits), g.dcf.final];
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
  const bits = gateCompareBits(spec);
  const levels = dcfLevels(bits);
  const expanded = expandGateSeed(spec, party, seed);
  let R: BigUint64Array;
  let mono: BigUint64Array[];
  let maskBit: Uint8Array;
  if (party === 0) {
    R = ring(count);
    mono = Array.from({ length: gateMonomials(spec) }, () => ring(count));
    maskBit = expanded.bits;
  } else {
    [R, ...mono] = expanded.rings as [BigUint64Array, ...BigUint64Array[]];
    maskBit = unpackBits(raw(packedBits(count)), count);
  }
  const cw = raw(16 * levels * count).slice();
  const cwBits = unpack3(raw(Math.ceil((3 * levels * count) / 8)), levels * count);
  const final = raw(16 * count).slice();
  const share: GateShare = { ...spec, party, R, mono, maskBit, seed, dcf: { count, bits, cw, cwBits, final, seeds: expanded.roots, party } };
  return { type: 'gate', share };
}
