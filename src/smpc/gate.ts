/**
 * The comparison gate: from additive shares of z with |z| < 2^(window-1) it
 * gives shares of pos = [z >= 0] and of relu(z) / 2^shift (rounded down, at
 * most one unit too high), in two rounds: open zhat = z + R (8 bytes each
 * way), evaluate a DCF on the low window-1 bits, open the masked comparison
 * bit (1 bit each way). The dealer made every mask; neither opening says
 * anything about z (R is uniform, the bit is masked by a uniform m).
 *
 * Algebra. With L = 2^(window-1), y = z + L lies in [0, 2L) and
 * zhat = y + r for r = R - L. Writing u_l = u mod L:
 *   c = [zhat_l < r_l] (the DCF),  msb_window(y) = p ^ rho ^ c
 * with p, rho bit window-1 of zhat and r. msb_window(y) = [z >= 0] = pos.
 * Opened chat = c ^ m, so pos = q ^ s with public q = p ^ chat, s = rho ^ m.
 * When pos = 1, z = y - L = zhat_l - r_l + L c, hence
 *   relu(z) >> t = pos (zhat_l >> t) - pos (r_l >> t) + (L >> t) pos c
 * and each product of pos with a dealer value is linear in dealer-shared
 * monomials (s, m, s m, rt = r_l >> t, s rt) once q and chat are public.
 */
import { randomFillSync } from 'node:crypto';
import { dcfEval, dcfGen, type DcfKey } from './dcf.js';
import { SmpcError } from './errors.js';
import { ringRandom } from './ring64.js';

export interface GateSpec {
  count: number;
  /** Inputs satisfy |z| < 2^(window-1). */
  window: number;
  /** relu output is divided by 2^shift (fused truncation). */
  shift: number;
}

export interface GateShare extends GateSpec {
  party: 0 | 1;
  /** Shares of R, s, m, s*m, rt, s*rt. */
  R: BigUint64Array;
  s: BigUint64Array;
  m: BigUint64Array;
  sm: BigUint64Array;
  rt: BigUint64Array;
  srt: BigUint64Array;
  /** XOR share of m, one byte per gate. */
  maskBit: Uint8Array;
  dcf: DcfKey;
}

export const MAX_WINDOW = 53;

export function checkGateSpec(spec: GateSpec): void {
  if (!Number.isInteger(spec.count) || spec.count < 0) throw new SmpcError('plan', `gate count ${spec.count} is not a count`);
  if (!Number.isInteger(spec.window) || spec.window < 2 || spec.window > MAX_WINDOW) throw new SmpcError('plan', `gate window ${spec.window} is outside 2..${MAX_WINDOW}`);
  if (!Number.isInteger(spec.shift) || spec.shift < 0 || spec.shift >= spec.window - 1) throw new SmpcError('plan', `gate shift ${spec.shift} must be in 0..${spec.window - 2}`);
}

function split(values: BigUint64Array): [BigUint64Array, BigUint64Array] {
  const a = ringRandom(values.length);
  const b = new BigUint64Array(values.length);
  for (let i = 0; i < values.length; i++) b[i] = values[i]! - a[i]!;
  return [a, b];
}

/** The dealer's side: both parties' material for `count` gates. */
export function gateGen(spec: GateSpec): [GateShare, GateShare] {
  checkGateSpec(spec);
  const { count, window, shift } = spec;
  const L = 1n << BigInt(window - 1);
  const lowMask = L - 1n;
  const t = BigInt(shift);
  const R = ringRandom(count);
  const mBits = new Uint8Array(count);
  const mask0 = new Uint8Array(count);
  randomFillSync(mBits);
  randomFillSync(mask0);
  const alpha = new Float64Array(count);
  const s = new BigUint64Array(count);
  const m = new BigUint64Array(count);
  const sm = new BigUint64Array(count);
  const rt = new BigUint64Array(count);
  const srt = new BigUint64Array(count);
  const maskBit0 = new Uint8Array(count);
  const maskBit1 = new Uint8Array(count);
  for (let g = 0; g < count; g++) {
    const r = BigInt.asUintN(64, R[g]! - L);
    const rl = r & lowMask;
    const rho = Number((r >> BigInt(window - 1)) & 1n);
    const mb = mBits[g]! & 1;
    const sb = rho ^ mb;
    alpha[g] = Number(rl);
    s[g] = BigInt(sb);
    m[g] = BigInt(mb);
    sm[g] = BigInt(sb & mb);
    rt[g] = rl >> t;
    srt[g] = sb ? rl >> t : 0n;
    maskBit0[g] = mask0[g]! & 1;
    maskBit1[g] = maskBit0[g]! ^ mb;
  }
  const [d0, d1] = dcfGen(alpha, window - 1);
  const [R0, R1] = split(R);
  const [s0, s1] = split(s);
  const [m0, m1] = split(m);
  const [sm0, sm1] = split(sm);
  const [rt0, rt1] = split(rt);
  const [srt0, srt1] = split(srt);
  return [
    { ...spec, party: 0, R: R0, s: s0, m: m0, sm: sm0, rt: rt0, srt: srt0, maskBit: maskBit0, dcf: d0 },
    { ...spec, party: 1, R: R1, s: s1, m: m1, sm: sm1, rt: rt1, srt: srt1, maskBit: maskBit1, dcf: d1 },
  ];
}

/** Round 1, what this party sends: z_b + R_b. */
export function gateOpenShare(key: GateShare, z: BigUint64Array): BigUint64Array {
  if (z.length !== key.count) throw new SmpcError('shape', `gate input has ${z.length} elements, the material is for ${key.count}`);
  const out = new BigUint64Array(z.length);
  for (let i = 0; i < z.length; i++) out[i] = z[i]! + key.R[i]!;
  return out;
}

/** Round 2, what this party sends: its DCF share of c, masked, 8 gates per byte. */
export function gateBitShare(key: GateShare, zhat: BigUint64Array): Uint8Array {
  const lowMask = (1n << BigInt(key.window - 1)) - 1n;
  const x = new Float64Array(key.count);
  for (let i = 0; i < key.count; i++) x[i] = Number(zhat[i]! & lowMask);
  const c = dcfEval(key.dcf, x);
  const packed = new Uint8Array((key.count + 7) >> 3);
  for (let i = 0; i < key.count; i++) if (c[i]! ^ key.maskBit[i]!) packed[i >> 3] = packed[i >> 3]! | (1 << (i & 7));
  return packed;
}

export interface GateOutput {
  /** Shares of [z >= 0] (as ring elements 0/1). */
  pos: BigUint64Array;
  /** Shares of relu(z) >> shift. */
  relu: BigUint64Array;
}

/** Local: the outputs from the opened zhat and the two packed bit shares. */
export function gateFinish(key: GateShare, zhat: BigUint64Array, bits0: Uint8Array, bits1: Uint8Array): GateOutput {
  const { count, window, shift } = key;
  const bytes = (count + 7) >> 3;
  if (bits0.length !== bytes || bits1.length !== bytes) throw new SmpcError('message', `gate bits: expected ${bytes} bytes, got ${bits0.length} and ${bits1.length}`);
  const L = 1n << BigInt(window - 1);
  const lowMask = L - 1n;
  const t = BigInt(shift);
  const Lt = L >> t;
  const one = key.party === 0 ? 1n : 0n;
  const pos = new BigUint64Array(count);
  const relu = new BigUint64Array(count);
  for (let i = 0; i < count; i++) {
    const h = zhat[i]!;
    const chat = ((bits0[i >> 3]! ^ bits1[i >> 3]!) >> (i & 7)) & 1;
    const p = Number((h >> BigInt(window - 1)) & 1n);
    const q = p ^ chat;
    const s = key.s[i]!;
    const m = key.m[i]!;
    const sm = key.sm[i]!;
    let posc: bigint;
    if (q === 0) posc = chat === 0 ? sm : s - sm;
    else posc = chat === 0 ? m - sm : one - s - m + sm;
    const pb = q ? one - s : s;
    const prt = q ? key.rt[i]! - key.srt[i]! : key.srt[i]!;
    pos[i] = pb;
    relu[i] = pb * ((h & lowMask) >> t) - prt + Lt * posc;
  }
  return { pos, relu };
}
