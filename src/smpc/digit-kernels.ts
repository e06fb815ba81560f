/**
 * The loops of the digit comparison (digit-compare.ts): both parties' online
 * round (open) and their share of the result (combine), and the dealer's
 * truth tables (tables), compiled once per digit layout from generated
 * source. Every digit's bit place and every table offset is then a constant,
 * so V8 runs each comparison as straight-line integer code (20-bit
 * comparisons on the development machine, best of 40: open 16 ns against 77
 * for the loops over the layout's arrays, combine 16 against 43, tables 84
 * against 450). The source is built only from the layout's integers, never
 * from outside input.
 */

/** What the kernels need of a DigitLayout (digit-compare.ts). */
export interface KernelLayout {
  widths: number[];
  shifts: number[];
  vars: number;
  tableBits: number;
  lt: number[];
  eq: number[];
  term: number[];
}

/** out ^= the packed opened bits (eq_1 .. eq_{q-1}, then lt_0 .. lt_{q-2}) of every comparison. */
export type OpenKernel = (tables: Uint8Array, out: Uint8Array, xhi: Uint32Array, xlo: Uint32Array) => void;
/** c[g] = this party's share of [x < r] from its tables and the opened bits (open: both messages xored, 4 bytes of slack). */
export type CombineKernel = (tables: Uint8Array, open: Uint8Array, xhi: Uint32Array, xlo: Uint32Array, c: Uint8Array) => void;

/** The dealer's side: out ^= the true tables of every comparison with r = (rhi, rlo); nmask: the complemented masks of the opened bits, 4 bytes of slack. */
export type TablesKernel = (out: Uint8Array, nmask: Uint8Array, rhi: Uint32Array, rlo: Uint32Array) => void;

/** Digit i of x as an expression of the words hi, lo (the dealer's r: rhi, rlo). */
function digitExpr(l: KernelLayout, i: number): string {
  const s = l.shifts[i]!;
  const w = l.widths[i]!;
  const mask = (1 << w) - 1;
  if (s >= 32) return `(hi >>> ${s - 32}) & ${mask}`;
  if (s + w <= 32) return `(lo >>> ${s}) & ${mask}`;
  return `((lo >>> ${s}) | (hi << ${32 - s})) & ${mask}`;
}

const bitAt = (offset: string): string => `((tables[(o = base + ${offset}) >>> 3] >>> (o & 7)) & 1)`;

/** Chunks of at most 16 bits, so an accumulator holding up to 7 (or 15) other bits stays below 2^31. */
function chunks(vars: number): [number, number][] {
  const out: [number, number][] = [];
  for (let b = 0; b < vars; b += 16) out.push([b, Math.min(16, vars - b)]);
  return out;
}

export function compileOpen(l: KernelLayout): OpenKernel {
  const q = l.widths.length;
  const lines: string[] = [];
  for (let i = 0; i < q; i++) {
    lines.push(`d = ${digitExpr(l, i)};`);
    if (i > 0) lines.push(`v |= ${bitAt(`${l.eq[i]} + d`)} << ${i - 1};`);
    if (i < q - 1) lines.push(`v |= ${bitAt(`${l.lt[i]} + d`)} << ${q - 1 + i};`);
  }
  const append = chunks(l.vars)
    .map(([b, n]) => `acc |= ((v >>> ${b}) & ${(1 << n) - 1}) << accBits; accBits += ${n};
      while (accBits >= 8) { out[at] ^= acc & 255; at++; acc >>>= 8; accBits -= 8; }`)
    .join('\n');
  const src = `'use strict';
  let acc = 0, accBits = 0, at = 0;
  for (let g = 0, base = 0, n = xlo.length; g < n; g++, base += ${l.tableBits}) {
    const lo = xlo[g], hi = xhi[g];
    let v = 0, o = 0, d = 0;
    ${lines.join('\n    ')}
    ${append}
  }
  if (accBits > 0) out[at] ^= acc;`;
  return new Function('tables', 'out', 'xhi', 'xlo', src) as OpenKernel;
}

export function compileCombine(l: KernelLayout): CombineKernel {
  const q = l.widths.length;
  const top = q - 1;
  const read = chunks(l.vars)
    .map(([b, n]) => `while (accBits < ${n}) { acc |= open[at] << accBits; at++; accBits += 8; }
      p |= (acc & ${(1 << n) - 1}) << ${b}; acc >>>= ${n}; accBits -= ${n};`)
    .join('\n');
  // Term j's index: lt_j in bit 0, eq_{j+1} .. eq_{q-1} (bits j .. q-2 of p) above it.
  const terms = Array.from(
    { length: top },
    (_, j) => `v ^= ${bitAt(`${l.term[j]} + (((p >>> ${top + j}) & 1) | (((p >>> ${j}) & ${(1 << (top - j)) - 1}) << 1))`)};`,
  );
  const src = `'use strict';
  let acc = 0, accBits = 0, at = 0;
  for (let g = 0, base = 0, n = xlo.length; g < n; g++, base += ${l.tableBits}) {
    const lo = xlo[g], hi = xhi[g];
    let o = 0, p = 0;
    let v = ${bitAt(`${l.lt[top]} + (${digitExpr(l, top)})`)};
    ${read}
    ${terms.join('\n    ')}
    c[g] = v;
  }`;
  return new Function('tables', 'open', 'xhi', 'xlo', 'c', src) as CombineKernel;
}

/** Flips bits at o .. o+n-1 (n < 16 as an expression: 3 bytes at most), o an expression too. */
const flipRunCode = (o: string, n: string): string =>
  `o = ${o}; t = ((1 << (${n})) - 1) << (o & 7); a = o >>> 3; out[a] ^= t & 255; out[a + 1] ^= (t >>> 8) & 255; out[a + 2] ^= t >>> 16;`;
const flipBitCode = (o: string): string => `o = ${o}; out[o >>> 3] ^= 1 << (o & 7);`;

export function compileTables(l: KernelLayout): TablesKernel {
  const q = l.widths.length;
  const top = q - 1;
  const lines: string[] = [];
  for (let i = 0; i < q; i++) {
    lines.push(`d = ${digitExpr(l, i)};`);
    // lt_i's table: 1 for every digit value below d (runs longer than 15 bits: a loop).
    if (l.widths[i]! <= 4) lines.push(flipRunCode(`base + ${l.lt[i]}`, 'd'));
    else lines.push(`for (let u = 0; u < d; u++) { ${flipBitCode(`base + ${l.lt[i]} + u`)} }`);
    if (i > 0) lines.push(flipBitCode(`base + ${l.eq[i]} + d`));
  }
  const read = chunks(l.vars)
    .map(([b, n]) => `while (accBits < ${n}) { acc |= nmask[at] << accBits; at++; accBits += 8; }
      p |= (acc & ${(1 << n) - 1}) << ${b}; acc >>>= ${n}; accBits -= ${n};`)
    .join('\n');
  // Term j is 1 only where lt_j and eq_{j+1} .. eq_{q-1} are all 1, i.e. each opened bit is its mask's complement.
  const terms = Array.from({ length: top }, (_, j) => flipBitCode(`base + ${l.term[j]} + (((p >>> ${top + j}) & 1) | (((p >>> ${j}) & ${(1 << (top - j)) - 1}) << 1))`));
  const src = `'use strict';
  let acc = 0, accBits = 0, at = 0;
  for (let g = 0, base = 0, n = rlo.length; g < n; g++, base += ${l.tableBits}) {
    const lo = rlo[g], hi = rhi[g];
    let o = 0, a = 0, t = 0, d = 0, p = 0;
    ${lines.join('\n    ')}
    ${read}
    ${terms.join('\n    ')}
  }`;
  return new Function('out', 'nmask', 'rhi', 'rlo', src) as TablesKernel;
}
