/**
 * The comparison gate: from additive shares of z it gives shares of
 * pos = [z >= 0] and of relu(z) / 2^shift (rounded down, at most one unit too
 * high), in three rounds: open zhat = z + R (8 bytes each way, fewer when
 * shift > 0: only the window's bits count), compare its window bits with the
 * dealer's r by truth tables (digit-compare.ts, one round of a few masked
 * bits), open the masked comparison bit (1 bit each way). The dealer made
 * every mask; no opening says anything about z (R is uniform, the bits are
 * masked by uniform dealer bits).
 *
 * Algebra. With L = 2^(window-1), y = z + L and r = R - L, zhat = y + r.
 * The gate compares only the bits above `drop`: x = zhat >> drop, r' = r >> drop,
 * L' = L >> drop, y' = x - r' = floor(y / 2^drop) + carry (carry in {0, 1});
 * y' < 2L' needs -L <= z < L - 2^drop (z < L when drop is 0). Writing u_l = u mod L':
 *   c = [x_l < r'_l] (compared on window-1-drop bits),  msb(y') = p ^ rho ^ c
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
 * shortens the comparison by `shift` bits.
 */
import { randomFillSync } from 'node:crypto';
import { prgBytes } from './aes-prg.js';
import { digitCombine, digitOpen, digitTables, tableBytes, varBytes } from './digit-compare.js';
import { SmpcError } from './errors.js';
import { ringRandom } from './ring64.js';
import { windowBits, wordsToRing } from './window-bits.js';

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
  /** Share of the opening mask R (both parties' from their seeds: R is their sum). */
  R: BigUint64Array;
  /** Shares of the dealer monomials: shift 0: s, s R; shift > 0: s, m, s m, rt, s rt. */
  mono: BigUint64Array[];
  /** XOR share of m, one byte per gate. */
  maskBit: Uint8Array;
  /** The comparison's truth-table shares and the mask shares of its opened bits, packed (digit-compare.ts). */
  tables: Uint8Array;
  masks: Uint8Array;
  /** The 16-byte seed this party's pseudorandom parts expand from (see gateSeedLayout). */
  seed: Uint8Array;
}

export const MAX_WINDOW = 53;

export const gateDrop = (spec: GateSpec): number => spec.drop ?? 0;
/** Compared bits of a gate. */
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
 * Bytes a party's gate seed expands to, in order: its R share and its
 * opened bits' mask shares; then party 1 its monomial shares, party 0 its
 * table shares and one byte per gate whose low bit is its mask-bit share.
 * The other parts travel explicitly (codec.ts).
 */
export function gateSeedLayout(spec: GateSpec, party: 0 | 1): { ring: number; masks: number; tables: number; bits: number } {
  const k = gateCompareBits(spec);
  const ring = 8 * (party === 1 ? 1 + gateMonomials(spec) : 1) * spec.count;
  return { ring, masks: varBytes(k, spec.count), tables: party === 0 ? tableBytes(k, spec.count) : 0, bits: party === 0 ? spec.count : 0 };
}

/** Party `party`'s pseudorandom parts from its seed. */
export function expandGateSeed(spec: GateSpec, party: 0 | 1, seed: Uint8Array): { rings: BigUint64Array[]; masks: Uint8Array; tables: Uint8Array; bits: Uint8Array } {
  const { ring, masks, tables, bits } = gateSeedLayout(spec, party);
  const all = prgBytes(seed, ring + masks + tables + bits);
  const rings: BigUint64Array[] = [];
  for (let k = 0; k < ring / (8 * spec.count); k++) rings.push(new BigUint64Array(all.buffer, 8 * k * spec.count, spec.count));
  const maskBits = all.subarray(ring + masks + tables);
  for (let i = 0; i < maskBits.length; i++) maskBits[i] = maskBits[i]! & 1;
  return { rings, masks: all.subarray(ring, ring + masks), tables: all.subarray(ring + masks, ring + masks + tables), bits: maskBits };
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
  const [R0] = x0.rings as [BigUint64Array];
  const [R1, ...mono1] = x1.rings as [BigUint64Array, ...BigUint64Array[]];
  const R = new BigUint64Array(count);
  for (let i = 0; i < count; i++) R[i] = R0[i]! + R1[i]!;
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
  const masks = x0.masks.map((b, i) => b ^ x1.masks[i]!);
  const tables1 = digitTables(rhi, rlo, k, masks, x0.tables);
  // Party 1's monomial shares are its seed's expansion; party 0 gets value - share.
  const minus = (v: BigUint64Array, b: BigUint64Array): BigUint64Array => {
    const out = new BigUint64Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = v[i]! - b[i]!;
    return out;
  };
  return [
    { ...spec, party: 0, R: R0, mono: mono.map((v, j) => minus(v, mono1[j]!)), maskBit: x0.bits, tables: x0.tables, masks: x0.masks, seed: seedBytes(seed0) },
    { ...spec, party: 1, R: R1, mono: mono1, maskBit: maskBit1, tables: tables1, masks: x1.masks, seed: seedBytes(seed1) },
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

interface ZhatWords {
  drop: number;
  k: number;
  xlo: Uint32Array;
  xhi: Uint32Array;
  p: Uint8Array;
}
/** Rounds 2, 3 and the finish all read the same bits of one opened zhat: cut them once. */
const zhatWords = new WeakMap<BigUint64Array, ZhatWords>();

/** The compared bits of zhat as words (lo, hi) and bit p above them (windowBits). */
function compareWords(key: GateShare, zhat: BigUint64Array): ZhatWords {
  const drop = gateDrop(key);
  const k = gateCompareBits(key);
  const cached = zhatWords.get(zhat);
  if (cached && cached.drop === drop && cached.k === k && cached.xlo.length === zhat.length) return cached;
  const n = zhat.length;
  const w: ZhatWords = { drop, k, xlo: new Uint32Array(n), xhi: new Uint32Array(n), p: new Uint8Array(n) };
  windowBits(zhat, drop, k, w.xlo, w.xhi, w.p);
  zhatWords.set(zhat, w);
  return w;
}

/**
 * Bytes per element of a gate's opening: a truncating gate reads only the
 * window's bits of zhat (its low `window` bits determine them), so the
 * parties exchange zhat mod 2^(8 bytes); max pooling and argmax need all 64.
 */
export const gateOpenBytes = (spec: GateSpec): number => (spec.shift > 0 ? Math.ceil(spec.window / 8) : 8);

/** Bytes of a gate's round 2 message (0: a comparison of one digit needs no round 2). */
export const gateDigitBytes = (spec: GateSpec): number => varBytes(gateCompareBits(spec), spec.count);

/**
 * Round 2, what this party sends: its masked shares of the digit comparisons' eq and lt bits.
 * Rounds 2, 3 and gateFinish cut zhat's bits once per array: pass the same, unchanged zhat to all three.
 */
export function gateDigitShare(key: GateShare, zhat: BigUint64Array): Uint8Array {
  const { xhi, xlo } = compareWords(key, zhat);
  return digitOpen(gateCompareBits(key), key.tables, key.masks, xhi, xlo);
}

/** Round 3, what this party sends: its share of c, masked, 8 gates per byte (digits0/1: both round 2 messages). */
export function gateBitShare(key: GateShare, zhat: BigUint64Array, digits0: Uint8Array, digits1: Uint8Array): Uint8Array {
  const n = key.count;
  const { xhi, xlo } = compareWords(key, zhat);
  const c = digitCombine(gateCompareBits(key), key.tables, xhi, xlo, digits0, digits1);
  const packed = new Uint8Array((n + 7) >> 3);
  const mb = key.maskBit;
  for (let i = 0; i < n; i++) packed[i >> 3] = packed[i >> 3]! | ((c[i]! ^ mb[i]!) << (i & 7));
  return packed;
}

/** 0 and 1 as ring elements: case selection by multiplication. */
const ZERO_ONE = BigUint64Array.of(0n, 1n);

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
  if (zhat.length !== count) throw new SmpcError('shape', `gate opening has ${zhat.length} elements, the material is for ${count}`);
  const { xlo, xhi, p } = compareWords(key, zhat);
  const one = key.party === 0 ? 1n : 0n;
  const pos = new BigUint64Array(count);
  const relu = new BigUint64Array(count);
  const R = key.R;
  // Branch-free: q = p ^ chat is a fair coin (the sign is masked), so branches on it would
  // mispredict half the time; the cases are selected by multiplying with q and chat as 0/1.
  if (shift === 0) {
    const [s, sR] = key.mono as [BigUint64Array, BigUint64Array];
    for (let i = 0; i < count; i++) {
      const chat = ((bits0[i >> 3]! ^ bits1[i >> 3]!) >> (i & 7)) & 1;
      const q = p[i]! ^ chat;
      // q = 1: pos = 1 - s, relu = pos zhat - R + sR; q = 0: pos = s, relu = s zhat - sR.
      pos[i] = s[i]! + ZERO_ONE[q]! * (one - 2n * s[i]!);
      relu[i] = pos[i]! * zhat[i]! - sR[i]! + ZERO_ONE[q]! * (2n * sR[i]! - R[i]!);
    }
    return { pos, relu };
  }
  const [s, m, sm, rt, srt] = key.mono as [BigUint64Array, BigUint64Array, BigUint64Array, BigUint64Array, BigUint64Array];
  const v = shift - drop;
  const xs = wordsToRing(xlo, xhi, v);
  const Lt = 1n << BigInt(k - v);
  for (let i = 0; i < count; i++) {
    const chat = ((bits0[i >> 3]! ^ bits1[i >> 3]!) >> (i & 7)) & 1;
    const q = p[i]! ^ chat;
    pos[i] = s[i]! + ZERO_ONE[q]! * (one - 2n * s[i]!);
    // The four cases of (q, chat): the carry term's factor is sm, s - sm, m - sm or 1 - s - m + sm.
    relu[i] =
      pos[i]! * xs[i]! - srt[i]! + ZERO_ONE[q]! * (2n * srt[i]! - rt[i]!) +
      Lt * (sm[i]! + ZERO_ONE[chat]! * (s[i]! - 2n * sm[i]!) + ZERO_ONE[q]! * (m[i]! - 2n * sm[i]!) + ZERO_ONE[chat & q]! * (one - 2n * s[i]! - 2n * m[i]! + 4n * sm[i]!));
  }
  return { pos, relu };
}
