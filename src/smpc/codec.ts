/**
 * Dealer material on the wire: one message per step, its layout fixed by the
 * public step (sizes follow from the plan), so a receiver checks the exact
 * length before it reads anything.
 */
import type { StepShare } from './dealer.js';
import { SmpcError } from './errors.js';
import { dcfLevels } from './dcf.js';
import type { GateShare } from './gate.js';
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

/** Values 0..7, three bits each. */
function pack3(values: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil((3 * values.length) / 8));
  for (let i = 0; i < values.length; i++) {
    const bit = 3 * i;
    const v = values[i]! << (bit & 7);
    out[bit >> 3] = out[bit >> 3]! | (v & 0xff);
    if (v > 0xff) out[(bit >> 3) + 1] = out[(bit >> 3) + 1]! | (v >> 8);
  }
  return out;
}

function unpack3(bytes: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const bit = 3 * i;
    const word = bytes[bit >> 3]! | ((bytes[(bit >> 3) + 1] ?? 0) << 8);
    out[i] = (word >> (bit & 7)) & 7;
  }
  return out;
}

/** Bytes of one party's material for a step. */
export function stepBytes(step: Step, party: 0 | 1): number {
  if (step.type === 'linear') return 8 * (step.outSize + (party === 0 ? step.inSize : 0));
  if (step.type === 'beaver') return 24 * step.count;
  const { count, window } = step.spec;
  const levels = dcfLevels(window - 1);
  return 48 * count + packedBits(count) + 16 * count + 16 * levels * count + Math.ceil((3 * levels * count) / 8) + 16 * count;
}

export function encodeStep(share: StepShare): Uint8Array[] {
  const u8 = (v: BigUint64Array | Uint8Array): Uint8Array => new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (share.type === 'linear') return share.share.a ? [u8(share.share.a), u8(share.share.c)] : [u8(share.share.c)];
  if (share.type === 'beaver') return [u8(share.share.a), u8(share.share.b), u8(share.share.c)];
  const g = share.share;
  return [u8(g.R), u8(g.s), u8(g.m), u8(g.sm), u8(g.rt), u8(g.srt), packBits(g.maskBit), g.dcf.seeds, g.dcf.cw, pack3(g.dcf.cwBits), g.dcf.final];
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
  if (step.type === 'linear') {
    const a = party === 0 ? ring(step.inSize) : undefined;
    return { type: 'linear', share: a ? { a, c: ring(step.outSize) } : { c: ring(step.outSize) } };
  }
  if (step.type === 'beaver') return { type: 'beaver', share: { a: ring(step.count), b: ring(step.count), c: ring(step.count) } };
  const { count, window } = step.spec;
  const bits = window - 1;
  const levels = dcfLevels(bits);
  const [R, s, m, sm, rt, srt] = [ring(count), ring(count), ring(count), ring(count), ring(count), ring(count)];
  const maskBit = unpackBits(raw(packedBits(count)), count);
  const seeds = raw(16 * count).slice();
  const cw = raw(16 * levels * count).slice();
  const cwBits = unpack3(raw(Math.ceil((3 * levels * count) / 8)), levels * count);
  const final = raw(16 * count).slice();
  const share: GateShare = { ...step.spec, party, R, s, m, sm, rt, srt, maskBit, dcf: { count, bits, cw, cwBits, final, seeds, party } };
  return { type: 'gate', share };
}
