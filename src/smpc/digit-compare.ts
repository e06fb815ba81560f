/**
 * Comparison [x < r] of a public k-bit x with the dealer's secret r, from
 * one-time truth tables (Ishai et al., TCC 2013) instead of a DCF. x and r
 * are cut into q digits (least significant first); with lt_i = [x_i < r_i]
 * and eq_i = [x_i = r_i],
 *   [x < r] = lt_{q-1} ^ sum_{j < q-1} eq_{q-1} ... eq_{j+1} lt_j
 * (the terms are disjoint), the digit decomposition of CrypTFlow2's
 * millionaires' protocol (Rathee et al., CCS 2020) with the dealer in place
 * of oblivious transfer. The dealer XOR-shares each digit's lt and eq truth
 * tables (2^w bits each, indexed by the public digit), so the lookups are
 * local. The products take one round: each party opens its shares of the
 * eq_i and lt_j (i >= 1, j <= q-2) masked by dealer bits; term j is then a
 * point function of its opened bits (1 exactly where every opened bit is the
 * complement of its mask), whose 2^(q-j)-entry table the dealer XOR-shares
 * as well. Per comparison a party sends 2q - 2 bits and one party receives
 * the table bits (the other expands its share from a seed); no AES.
 */
import { SmpcError } from './errors.js';

export interface DigitLayout {
  /** Compared bits. */
  k: number;
  /** Digit widths, least significant first. */
  widths: number[];
  /** Bit offset of each digit in x. */
  shifts: number[];
  /** Opened bits per comparison: eq_1 .. eq_{q-1}, then lt_0 .. lt_{q-2}. */
  vars: number;
  /** Table bits per comparison, and the offsets of lt_i, eq_i (i >= 1) and term j (j <= q-2) in them. */
  tableBits: number;
  lt: number[];
  eq: number[];
  term: number[];
}

export const MAX_COMPARE_BITS = 52;
const MAX_DIGIT = 8;
const MAX_DIGITS = 14;

function layoutFor(k: number, q: number): DigitLayout {
  const widths = Array.from({ length: q }, (_, i) => Math.floor(k / q) + (i < k % q ? 1 : 0));
  const shifts = widths.map((_, i) => widths.slice(0, i).reduce((a, w) => a + w, 0));
  let off = 0;
  const take = (bits: number): number => {
    const at = off;
    off += bits;
    return at;
  };
  const lt = widths.map((w) => take(2 ** w));
  const eq = widths.map((w, i) => (i === 0 ? -1 : take(2 ** w)));
  const term = widths.slice(0, q - 1).map((_, j) => take(2 ** (q - j)));
  return { k, widths, shifts, vars: 2 * q - 2, tableBits: off, lt, eq, term };
}

const layouts = new Map<number, DigitLayout>();

/**
 * The digit split of a k-bit comparison: the q that minimises the dealer's
 * table bits plus the opened bits (counted four times: both directions, and
 * online bytes are the scarcer kind).
 */
export function digitLayout(k: number): DigitLayout {
  const cached = layouts.get(k);
  if (cached) return cached;
  if (!Number.isInteger(k) || k < 1 || k > MAX_COMPARE_BITS) throw new SmpcError('plan', `comparison width ${k} is outside 1..${MAX_COMPARE_BITS}`);
  let best: DigitLayout | undefined;
  for (let q = Math.ceil(k / MAX_DIGIT); q <= Math.min(k, MAX_DIGITS); q++) {
    const l = layoutFor(k, q);
    if (!best || l.tableBits + 4 * l.vars < best.tableBits + 4 * best.vars) best = l;
  }
  layouts.set(k, best!);
  return best!;
}

const bytesFor = (bits: number): number => Math.ceil(bits / 8);
/** Bytes of the packed tables (or opened bits) of `count` comparisons. */
export const tableBytes = (k: number, count: number): number => bytesFor(digitLayout(k).tableBits * count);
export const varBytes = (k: number, count: number): number => bytesFor(digitLayout(k).vars * count);

const getBit = (a: Uint8Array, o: number): number => (a[o >>> 3]! >>> (o & 7)) & 1;
const flipBit = (a: Uint8Array, o: number): void => {
  a[o >>> 3] = a[o >>> 3]! ^ (1 << (o & 7));
};

/** Bits s .. s+w-1 of the value with 32-bit words (hi, lo), w <= 8. */
function digitOf(hi: number, lo: number, s: number, w: number): number {
  const mask = (1 << w) - 1;
  if (s >= 32) return (hi >>> (s - 32)) & mask;
  if (s + w <= 32) return (lo >>> s) & mask;
  return ((lo >>> s) | (hi << (32 - s))) & mask;
}

/**
 * The dealer's side: the true tables of every comparison xored into
 * `share0` (party 0's table share, from its seed), giving party 1's share.
 * `masks` are the opened bits' masks (the xor of both parties' mask shares).
 */
export function digitTables(rhi: Uint32Array, rlo: Uint32Array, k: number, masks: Uint8Array, share0: Uint8Array): Uint8Array {
  const l = digitLayout(k);
  const q = l.widths.length;
  const count = rlo.length;
  if (share0.length !== tableBytes(k, count) || masks.length !== varBytes(k, count)) throw new SmpcError('material', 'digit comparison: table or mask shares have the wrong length');
  const out = share0.slice();
  for (let g = 0; g < count; g++) {
    const base = g * l.tableBits;
    const mbase = g * l.vars;
    for (let i = 0; i < q; i++) {
      const d = digitOf(rhi[g]!, rlo[g]!, l.shifts[i]!, l.widths[i]!);
      for (let u = 0; u < d; u++) flipBit(out, base + l.lt[i]! + u);
      if (i > 0) flipBit(out, base + l.eq[i]! + d);
    }
    // Term j is 1 where lt_j and eq_{j+1} .. eq_{q-1} are all 1: each opened bit is the complement of its mask.
    for (let j = 0; j < q - 1; j++) {
      let idx = getBit(masks, mbase + q - 1 + j) ^ 1;
      for (let i = j + 1; i < q; i++) idx |= (getBit(masks, mbase + i - 1) ^ 1) << (i - j);
      flipBit(out, base + l.term[j]! + idx);
    }
  }
  return out;
}

/** Per comparison, each digit of x (q bytes per comparison, least significant first). */
function digitsOf(l: DigitLayout, xhi: Uint32Array, xlo: Uint32Array): Uint8Array {
  const q = l.widths.length;
  const out = new Uint8Array(q * xlo.length);
  for (let i = 0; i < q; i++) {
    const s = l.shifts[i]!;
    const w = l.widths[i]!;
    for (let g = 0; g < xlo.length; g++) out[g * q + i] = digitOf(xhi[g]!, xlo[g]!, s, w);
  }
  return out;
}

/** The round's message: this party's shares of eq_i and lt_j xored with its mask shares, packed. */
export function digitOpen(k: number, tables: Uint8Array, masks: Uint8Array, xhi: Uint32Array, xlo: Uint32Array): Uint8Array {
  const l = digitLayout(k);
  const q = l.widths.length;
  const count = xlo.length;
  const { tableBits, vars } = l;
  const eq = Int32Array.from(l.eq);
  const lt = Int32Array.from(l.lt);
  const d = digitsOf(l, xhi, xlo);
  const out = masks.slice();
  for (let g = 0; g < count; g++) {
    const base = g * tableBits;
    const mbase = g * vars;
    const dg = g * q;
    for (let i = 1; i < q; i++) {
      const o = base + eq[i]! + d[dg + i]!;
      const m = mbase + i - 1;
      out[m >>> 3] = out[m >>> 3]! ^ (((tables[o >>> 3]! >>> (o & 7)) & 1) << (m & 7));
    }
    for (let j = 0; j < q - 1; j++) {
      const o = base + lt[j]! + d[dg + j]!;
      const m = mbase + q - 1 + j;
      out[m >>> 3] = out[m >>> 3]! ^ (((tables[o >>> 3]! >>> (o & 7)) & 1) << (m & 7));
    }
  }
  return out;
}

/** This party's XOR share of [x < r], one byte (0 or 1) per comparison, from both parties' opened bits. */
export function digitCombine(k: number, tables: Uint8Array, xhi: Uint32Array, xlo: Uint32Array, open0: Uint8Array, open1: Uint8Array): Uint8Array {
  const l = digitLayout(k);
  const q = l.widths.length;
  const count = xlo.length;
  const bytes = varBytes(k, count);
  if (open0.length !== bytes || open1.length !== bytes) throw new SmpcError('message', `comparison bits: expected ${bytes} bytes, got ${open0.length} and ${open1.length}`);
  const { tableBits, vars } = l;
  const term = Int32Array.from(l.term);
  const top = q - 1;
  const ltTop = l.lt[top]!;
  const sTop = l.shifts[top]!;
  const wTop = l.widths[top]!;
  const c = new Uint8Array(count);
  for (let g = 0; g < count; g++) {
    const base = g * tableBits;
    const mbase = g * vars;
    let o = base + ltTop + digitOf(xhi[g]!, xlo[g]!, sTop, wTop);
    let v = (tables[o >>> 3]! >>> (o & 7)) & 1;
    // The opened bits of this comparison: eq_1 .. eq_{q-1} in bits 0 .. q-2, lt_0 .. lt_{q-2} above them.
    let p = 0;
    for (let b = 0; b < vars; b++) {
      const m = mbase + b;
      p |= (((open0[m >>> 3]! ^ open1[m >>> 3]!) >>> (m & 7)) & 1) << b;
    }
    for (let j = 0; j < top; j++) {
      // Index: lt_j in bit 0, eq_{j+1} .. eq_{q-1} (bits j .. q-2 of p) above it.
      const idx = ((p >>> (top + j)) & 1) | (((p >>> j) & ((1 << (top - j)) - 1)) << 1);
      o = base + term[j]! + idx;
      v ^= (tables[o >>> 3]! >>> (o & 7)) & 1;
    }
    c[g] = v;
  }
  return c;
}
