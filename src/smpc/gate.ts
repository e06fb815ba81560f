/**
 * The comparison gate: from additive shares of z it gives shares of
 * pos = [z >= 0] and of relu(z) / 2^shift (rounded down, at most one unit too
 * high), in two rounds: open zhat = z + R (8 bytes each way), evaluate a DCF,
 * open the masked comparison bit (1 bit each way). The dealer made every
 * mask; neither opening says anything about z (R is uniform, the bit is
 * masked by a uniform m).
 *
 * Algebra. With L = 2^(window-1), y = z + L and r = R - L, zhat = y + r.
 * The gate compares only the bits above `drop`: x = zhat >> drop, r' = r >> drop,
 * L' = L >> drop, y' = x - r' = floor(y / 2^drop) + carry (carry in {0, 1});
 * y' < 2L' needs -L <= z < L - 2^drop (z < L when drop is 0). Writing u_l = u mod L':
 *   c = [x_l < r'_l] (the DCF on window-1-drop bits),  msb(y') = p ^ rho ^ c
 * with p, rho bit window-1-drop of x and r'. msb(y') = pos, exactly when drop
 * is 0; with drop > 0 it may also be 1 for z in [-2^drop, -1]. Opened chat = c ^ m,
 * so pos = q ^ s with public q = p ^ chat, s = rho ^ m.
 *
 * Two output modes. shift 0 (max pooling, argmax): relu = pos z = pos zhat - pos R,
 * from dealer monomials s and s R; with drop > 0 a z in [-2^drop, -1] may pass as
 * z (the max picks a value at most 2^drop below the other). shift > 0 (a ReLU with
 * the truncation fused; drop is 0 or shift): with pos = 1, y' - L' = x_l - r'_l + L' c,
 * hence with v = shift - drop
 *   relu(z) >> shift = pos (x_l >> v) - pos (r'_l >> v) + (L' >> v) pos c
 * from monomials s, m, s m, rt = r'_l >> v, s rt. Dropping the shift's bits before
 * comparing costs nothing in accuracy (the carry is the same one unit) and
 * shortens the DCF by `shift` levels.
 */
import { randomFillSync } from 'node:crypto';
import { prgBytes } from './aes-prg.js';
import { clearRootBits, dcfEvalWords, dcfGenWords, type DcfKey } from './dcf.js';
import { SmpcError } from './errors.js';
import { ringRandom } from './ring64.js';

export interface GateSpec {
  count: number;
  /** Inputs satisfy -2^(window-1) <= z < 2^(window-1) (less 2^drop when drop > 0). */
  window: number;
  /** relu output is divided by 2^shift (fused truncation). */
  shift: number;
  /** The comparison ignores the low `drop` bits of z (0: exact sign). */
  drop?: number;
}

export interface GateShare extends GateSpec {
  party: 0 | 1;
  /** Share of the opening mask R. */
  R: BigUint64Array;
  /** Shares of the dealer monomials: shift 0: s, s R; shift > 0: s, m, s m, rt, s rt. */
  mono: BigUint64Array[];
  /** XOR share of m, one byte per gate. */
  maskBit: Uint8Array;
  dcf: DcfKey;
  /** The 16-byte seed this party's pseudorandom parts expand from (see gateSeedLayout). */
  seed: Uint8Array;
}

export const MAX_WINDOW = 53;

export const gateDrop = (spec: GateSpec): number => spec.drop ?? 0;
/** DCF input bits of a gate. */
export const gateCompareBits = (spec: GateSpec): number => spec.window - 1 - gateDrop(spec);
export const gateMonomials = (spec: GateSpec): number => (spec.shift > 0 ? 5 : 2);

export function checkGateSpec(spec: GateSpec): void {
  if (!Number.isInteger(spec.count) || spec.count < 0) throw new SmpcError('plan', `gate count ${spec.count} is not a count`);
  if (!Number.isInteger(spec.window) || spec.window < 2 || spec.window > MAX_WINDOW) throw new SmpcError('plan', `gate window ${spec.window} is outside 2..${MAX_WINDOW}`);
  if (!Number.isInteger(spec.shift) || spec.shift < 0 || spec.shift >= spec.window - 1) throw new SmpcError('plan', `gate shift ${spec.shift} must be in 0..${spec.window - 2}`);
  const drop = gateDrop(spec);
  if (!Number.isInteger(drop) || drop < 0 || drop > spec.window - 2) throw new SmpcError('plan', `gate drop ${drop} must be in 0..${spec.window - 2}`);
  if (spec.shift > 0 && drop !== 0 && drop !== spec.shift) throw new SmpcError('plan', `gate drop ${drop} must be 0 or the shift ${spec.shift}`);
}

/**
 * Bytes a party's gate seed expands to, in order. Party 1: R and the
 * monomial shares (8 bytes each per gate), then its DCF root seeds. Party 0:
 * its DCF root seeds, then one byte per gate whose low bit is its mask-bit
 * share. The other parts travel explicitly (codec.ts).
 */
export function gateSeedLayout(spec: GateSpec, party: 0 | 1): { ring: number; roots: number; bits: number } {
  const ring = party === 1 ? 8 * (1 + gateMonomials(spec)) * spec.count : 0;
  return { ring, roots: 16 * spec.count, bits: party === 0 ? spec.count : 0 };
}

/** Party `party`'s pseudorandom parts from its seed. */
export function expandGateSeed(spec: GateSpec, party: 0 | 1, seed: Uint8Array): { rings: BigUint64Array[]; roots: Uint8Array; bits: Uint8Array } {
  const { ring, roots, bits } = gateSeedLayout(spec, party);
  const all = prgBytes(seed, ring + roots + bits);
  const rings: BigUint64Array[] = [];
  for (let k = 0; k < ring / (8 * spec.count); k++) rings.push(new BigUint64Array(all.buffer, 8 * k * spec.count, spec.count));
  const maskBits = all.subarray(ring + roots);
  for (let i = 0; i < maskBits.length; i++) maskBits[i] = maskBits[i]! & 1;
  return { rings, roots: clearRootBits(all.subarray(ring, ring + roots)), bits: maskBits };
}

/**
 * Per element of v: x = v >> drop (64-bit logical), p = bit k of x, and
 * x mod 2^k as 32-bit words (k <= 52): 32-bit arithmetic, no BigInt.
 */
function windowBits(v: BigUint64Array, drop: number, k: number, xlo: Uint32Array, xhi: Uint32Array, p: Uint8Array): void {
  const w = new Uint32Array(v.buffer, v.byteOffset, 2 * v.length);
  const loMask = k >= 32 ? 0xffffffff : 2 ** k - 1;
  const hiMask = k > 32 ? 2 ** (k - 32) - 1 : 0;
  for (let i = 0; i < v.length; i++) {
    const lo = w[2 * i]!;
    const hi = w[2 * i + 1]!;
    let a = lo;
    let b = hi;
    if (drop >= 32) {
      a = hi >>> (drop - 32);
      b = 0;
    } else if (drop > 0) {
      a = (lo >>> drop) | (hi << (32 - drop));
      b = hi >>> drop;
    }
    p[i] = k >= 32 ? (b >>> (k - 32)) & 1 : (a >>> k) & 1;
    xlo[i] = a & loMask;
    xhi[i] = b & hiMask;
  }
}

/** Words (lo, hi) shifted right by v into ring elements. */
function wordsToRing(xlo: Uint32Array, xhi: Uint32Array, v: number): BigUint64Array {
  const out = new BigUint64Array(xlo.length);
  const w = new Uint32Array(out.buffer);
  for (let i = 0; i < xlo.length; i++) {
    const lo = xlo[i]!;
    const hi = xhi[i]!;
    if (v === 0) {
      w[2 * i] = lo;
      w[2 * i + 1] = hi;
    } else if (v >= 32) w[2 * i] = hi >>> (v - 32);
    else {
      w[2 * i] = (lo >>> v) | (hi << (32 - v));
      w[2 * i + 1] = hi >>> v;
    }
  }
  return out;
}

/** The dealer's side: both parties' material for `count` gates. */
export function gateGen(spec: GateSpec): [GateShare, GateShare] {
  checkGateSpec(spec);
  const { count, window, shift } = spec;
  const drop = gateDrop(spec);
  const k = gateCompareBits(spec);
  const seed0 = ringRandom(2);
  const seed1 = ringRandom(2);
  const seedBytes = (s: BigUint64Array): Uint8Array => new Uint8Array(s.buffer);
  const x0 = expandGateSeed(spec, 0, seedBytes(seed0));
  const x1 = expandGateSeed(spec, 1, seedBytes(seed1));
  const R = ringRandom(count);
  const L = 1n << BigInt(window - 1);
  const r = new BigUint64Array(count);
  for (let i = 0; i < count; i++) r[i] = R[i]! - L;
  const rlo = new Uint32Array(count);
  const rhi = new Uint32Array(count);
  const rho = new Uint8Array(count);
  windowBits(r, drop, k, rlo, rhi, rho);
  const mBits = new Uint8Array(count);
  randomFillSync(mBits);
  const sv = new BigUint64Array(count);
  const mv = new BigUint64Array(count);
  const s32 = new Uint32Array(sv.buffer);
  const m32 = new Uint32Array(mv.buffer);
  const maskBit1 = new Uint8Array(count);
  for (let g = 0; g < count; g++) {
    const mb = mBits[g]! & 1;
    m32[2 * g] = mb;
    s32[2 * g] = rho[g]! ^ mb;
    maskBit1[g] = x0.bits[g]! ^ mb;
  }
  let mono: BigUint64Array[];
  if (shift === 0) {
    const sR = new BigUint64Array(count);
    for (let g = 0; g < count; g++) if (s32[2 * g]) sR[g] = R[g]!;
    mono = [sv, sR];
  } else {
    const rt = wordsToRing(rlo, rhi, shift - drop);
    const sm = new BigUint64Array(count);
    const srt = new BigUint64Array(count);
    for (let g = 0; g < count; g++) {
      if (!s32[2 * g]) continue;
      sm[g] = mv[g]!;
      srt[g] = rt[g]!;
    }
    mono = [sv, mv, sm, rt, srt];
  }
  const [d0, d1] = dcfGenWords(rhi, rlo, k, [x0.roots, x1.roots]);
  // Party 1's ring shares are its seed's expansion; party 0 gets value - share.
  const [R1, ...mono1] = x1.rings as [BigUint64Array, ...BigUint64Array[]];
  const minus = (v: BigUint64Array, b: BigUint64Array): BigUint64Array => {
    const out = new BigUint64Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = v[i]! - b[i]!;
    return out;
  };
  return [
    { ...spec, party: 0, R: minus(R, R1), mono: mono.map((v, j) => minus(v, mono1[j]!)), maskBit: x0.bits, dcf: d0, seed: seedBytes(seed0) },
    { ...spec, party: 1, R: R1, mono: mono1, maskBit: maskBit1, dcf: d1, seed: seedBytes(seed1) },
  ];
}

/** Round 1, what this party sends: z_b + R_b. */
export function gateOpenShare(key: GateShare, z: BigUint64Array): BigUint64Array {
  if (z.length !== key.count) throw new SmpcError('shape', `gate input has ${z.length} elements, the material is for ${key.count}`);
  const out = new BigUint64Array(z.length);
  const R = key.R;
  for (let i = 0; i < z.length; i++) out[i] = z[i]! + R[i]!;
  return out;
}

/** Round 2, what this party sends: its DCF share of c, masked, 8 gates per byte. */
export function gateBitShare(key: GateShare, zhat: BigUint64Array): Uint8Array {
  const n = key.count;
  const xlo = new Uint32Array(n);
  const xhi = new Uint32Array(n);
  windowBits(zhat, gateDrop(key), gateCompareBits(key), xlo, xhi, new Uint8Array(n));
  const c = dcfEvalWords(key.dcf, xhi, xlo);
  const packed = new Uint8Array((n + 7) >> 3);
  const mb = key.maskBit;
  for (let i = 0; i < n; i++) packed[i >> 3] = packed[i >> 3]! | ((c[i]! ^ mb[i]!) << (i & 7));
  return packed;
}

export interface GateOutput {
  /** Shares of [z >= 0] (as ring elements 0/1). */
  pos: BigUint64Array;
  /** Shares of relu(z) >> shift. */
  relu: BigUint64Array;
}

/**
 * Local: the outputs from the opened zhat and the two packed bit shares.
 * Every BigInt expression goes straight into a typed-array store, which V8
 * compiles to 64-bit machine arithmetic (no BigInt objects).
 */
export function gateFinish(key: GateShare, zhat: BigUint64Array, bits0: Uint8Array, bits1: Uint8Array): GateOutput {
  const { count, shift } = key;
  const bytes = (count + 7) >> 3;
  if (bits0.length !== bytes || bits1.length !== bytes) throw new SmpcError('message', `gate bits: expected ${bytes} bytes, got ${bits0.length} and ${bits1.length}`);
  const drop = gateDrop(key);
  const k = gateCompareBits(key);
  const xlo = new Uint32Array(count);
  const xhi = new Uint32Array(count);
  const p = new Uint8Array(count);
  windowBits(zhat, drop, k, xlo, xhi, p);
  const one = key.party === 0 ? 1n : 0n;
  const pos = new BigUint64Array(count);
  const relu = new BigUint64Array(count);
  const R = key.R;
  if (shift === 0) {
    const [s, sR] = key.mono as [BigUint64Array, BigUint64Array];
    for (let i = 0; i < count; i++) {
      const chat = ((bits0[i >> 3]! ^ bits1[i >> 3]!) >> (i & 7)) & 1;
      if (p[i]! ^ chat) {
        pos[i] = one - s[i]!;
        relu[i] = pos[i]! * zhat[i]! - R[i]! + sR[i]!;
      } else {
        pos[i] = s[i]!;
        relu[i] = s[i]! * zhat[i]! - sR[i]!;
      }
    }
    return { pos, relu };
  }
  const [s, m, sm, rt, srt] = key.mono as [BigUint64Array, BigUint64Array, BigUint64Array, BigUint64Array, BigUint64Array];
  const v = shift - drop;
  const xs = wordsToRing(xlo, xhi, v);
  const Lt = 1n << BigInt(k - v);
  for (let i = 0; i < count; i++) {
    const chat = ((bits0[i >> 3]! ^ bits1[i >> 3]!) >> (i & 7)) & 1;
    if (p[i]! ^ chat) {
      pos[i] = one - s[i]!;
      if (chat) relu[i] = pos[i]! * xs[i]! - rt[i]! + srt[i]! + Lt * (one - s[i]! - m[i]! + sm[i]!);
      else relu[i] = pos[i]! * xs[i]! - rt[i]! + srt[i]! + Lt * (m[i]! - sm[i]!);
    } else {
      pos[i] = s[i]!;
      if (chat) relu[i] = s[i]! * xs[i]! - srt[i]! + Lt * (s[i]! - sm[i]!);
      else relu[i] = s[i]! * xs[i]! - srt[i]! + Lt * sm[i]!;
    }
  }
  return { pos, relu };
}
