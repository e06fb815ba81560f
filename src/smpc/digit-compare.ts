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
import { compileCombine, compileOpen, compileTables, type CombineKernel, type OpenKernel, type TablesKernel } from './digit-kernels.js';
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

/**
 * The dealer's side: the true tables of every comparison xored into
 * `share0` (party 0's table share, from its seed), giving party 1's share.
 * `masks` are the opened bits' masks (the xor of both parties' mask shares).
 */
export function digitTables(rhi: Uint32Array, rlo: Uint32Array, k: number, masks: Uint8Array, share0: Uint8Array): Uint8Array {
  const count = rlo.length;
  if (share0.length !== tableBytes(k, count) || masks.length !== varBytes(k, count)) throw new SmpcError('material', 'digit comparison: table or mask shares have the wrong length');
  const out = share0.slice(); // a short run xors its upper bytes with zero (past the end: ignored)
  const nmask = new Uint8Array(masks.length + 4);
  for (let i = 0; i < masks.length; i++) nmask[i] = ~masks[i]! & 255;
  kernelsFor(k).tables(out, nmask, rhi, rlo);
  return out;
}

const kernels = new Map<number, { open: OpenKernel; combine: CombineKernel; tables: TablesKernel }>();

function kernelsFor(k: number): { open: OpenKernel; combine: CombineKernel; tables: TablesKernel } {
  let kk = kernels.get(k);
  if (!kk) {
    const l = digitLayout(k);
    kk = { open: compileOpen(l), combine: compileCombine(l), tables: compileTables(l) };
    kernels.set(k, kk);
  }
  return kk;
}

function checkTables(k: number, tables: Uint8Array, count: number): void {
  if (tables.length !== tableBytes(k, count)) throw new SmpcError('material', `digit comparison: ${tables.length} table bytes for ${count} comparisons of ${k} bits, expected ${tableBytes(k, count)}`);
}

/**
 * The round's message: this party's shares of eq_i and lt_j xored with its mask shares, packed
 * (per comparison eq_1 .. eq_{q-1} in bits 0 .. q-2, lt_0 .. lt_{q-2} above them).
 */
export function digitOpen(k: number, tables: Uint8Array, masks: Uint8Array, xhi: Uint32Array, xlo: Uint32Array): Uint8Array {
  const count = xlo.length;
  checkTables(k, tables, count);
  if (masks.length !== varBytes(k, count) || xhi.length !== count) throw new SmpcError('material', 'digit comparison: mask shares or words have the wrong length');
  const out = masks.slice();
  kernelsFor(k).open(tables, out, xhi, xlo);
  return out;
}

/** This party's XOR share of [x < r], one byte (0 or 1) per comparison, from both parties' opened bits. */
export function digitCombine(k: number, tables: Uint8Array, xhi: Uint32Array, xlo: Uint32Array, open0: Uint8Array, open1: Uint8Array): Uint8Array {
  const count = xlo.length;
  const bytes = varBytes(k, count);
  if (open0.length !== bytes || open1.length !== bytes) throw new SmpcError('message', `comparison bits: expected ${bytes} bytes, got ${open0.length} and ${open1.length}`);
  checkTables(k, tables, count);
  if (xhi.length !== count) throw new SmpcError('shape', 'digit comparison: words differ in length');
  // Both messages xored, with slack: the reader takes whole bytes ahead of the bits it uses.
  const open = new Uint8Array(bytes + 4);
  for (let i = 0; i < bytes; i++) open[i] = open0[i]! ^ open1[i]!;
  const c = new Uint8Array(count);
  kernelsFor(k).combine(tables, open, xhi, xlo, c);
  return c;
}
