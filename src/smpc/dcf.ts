/**
 * Distributed comparison function with a 1-bit output (Boyle et al.,
 * "Function Secret Sharing for Mixed-Mode and Fixed-Point Secure
 * Computation", the DCF of section 3 over the group Z_2): keys k0, k1 for a
 * secret alpha such that Eval(k0, x) ^ Eval(k1, x) = [x < alpha] for every
 * public x of `bits` bits. Each key alone is pseudorandom.
 *
 * Keys are generated and evaluated for a whole batch of comparisons at once,
 * level by level, so that each level costs one AES call for all of them.
 * The per-level correction word is a 128-bit seed correction (the two lowest
 * bits of every seed are its control and value bits, and are cleared in the
 * seed) and three bits: the value correction and the two control corrections.
 * The tree stops LEAF_BITS levels early: a leaf seed expands to 128 output
 * bits, one per value of the last LEAF_BITS input bits, and a 128-bit final
 * correction makes them [suffix < alpha's suffix] on alpha's path (early
 * termination, Boyle-Gilboa-Ishai 2016), which saves 7 levels of corrections.
 */
import { aesFixedBlocks, expandSeeds, randomSeeds } from './aes-prg.js';
import { SmpcError } from './errors.js';

export interface DcfPublic {
  count: number;
  bits: number;
  /** Seed corrections, level-major: [level][gate][16 bytes]. */
  cw: Uint8Array;
  /** Per level and gate: bit 0 value correction, bit 1 left control, bit 2 right control. */
  cwBits: Uint8Array;
  /** The leaf correction, 16 bytes (128 output bits) per gate. */
  final: Uint8Array;
}

export interface DcfKey extends DcfPublic {
  /** This party's root seeds, 16 bytes per gate. */
  seeds: Uint8Array;
  party: 0 | 1;
}

export const MAX_DCF_BITS = 52;
export const LEAF_BITS = 7;

/** Tree levels of a DCF on `bits` input bits (the rest are resolved in the leaf). */
export function dcfLevels(bits: number): number {
  return Math.max(0, bits - LEAF_BITS);
}

const leafBit = (leaf: Uint8Array, g: number, u: number): number => (leaf[16 * g + (u >>> 3)]! >>> (u & 7)) & 1;

function splitWords(values: Float64Array, bits: number, what: string): [Uint32Array, Uint32Array] {
  const hi = new Uint32Array(values.length);
  const lo = new Uint32Array(values.length);
  const limit = 2 ** bits;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!(v >= 0 && v < limit) || !Number.isInteger(v)) throw new SmpcError('range', `${what} ${i} is ${v}, not an integer in [0, 2^${bits})`);
    hi[i] = Math.floor(v / 4294967296);
    lo[i] = v >>> 0;
  }
  return [hi, lo];
}

function checkBits(bits: number): void {
  if (!Number.isInteger(bits) || bits < 1 || bits > MAX_DCF_BITS) throw new SmpcError('plan', `comparison width ${bits} is outside 1..${MAX_DCF_BITS}`);
}

/** Root seeds as the DCF uses them: the two lowest bits of each seed's first byte cleared (control and value bits). */
export function clearRootBits(roots: Uint8Array): Uint8Array {
  for (let g = 0; g < roots.length; g += 16) roots[g] = roots[g]! & 0xfc;
  return roots;
}

/** Keys for [x < alpha[g]] for every g; alpha values are integers below 2^bits. */
export function dcfGen(alpha: Float64Array, bits: number, roots?: [Uint8Array, Uint8Array]): [DcfKey, DcfKey] {
  checkBits(bits);
  const [ahi, alo] = splitWords(alpha, bits, 'comparison threshold');
  return dcfGenWords(ahi, alo, bits, roots);
}

/** dcfGen with alpha as 32-bit words (hi, lo); `roots` (16 bytes per gate each, cleared) default to fresh random seeds. */
export function dcfGenWords(ahi: Uint32Array, alo: Uint32Array, bits: number, roots?: [Uint8Array, Uint8Array]): [DcfKey, DcfKey] {
  checkBits(bits);
  const count = alo.length;
  const root0 = roots ? roots[0] : clearRootBits(randomSeeds(count));
  const root1 = roots ? roots[1] : clearRootBits(randomSeeds(count));
  const s0 = new Uint32Array(root0.slice().buffer);
  const s1 = new Uint32Array(root1.slice().buffer);
  const t0 = new Uint8Array(count);
  const t1 = new Uint8Array(count).fill(1);
  const va = new Uint8Array(count);
  const levels = dcfLevels(bits);
  const cw = new Uint8Array(levels * count * 16);
  const cw32 = new Uint32Array(cw.buffer);
  const cwBits = new Uint8Array(levels * count);
  const e0 = new Uint32Array(count * 8);
  const e1 = new Uint32Array(count * 8);
  const e0b = new Uint8Array(e0.buffer);
  const e1b = new Uint8Array(e1.buffer);
  for (let level = 0; level < levels; level++) {
    expandSeeds(new Uint8Array(s0.buffer), count, e0b);
    expandSeeds(new Uint8Array(s1.buffer), count, e1b);
    const j = bits - 1 - level;
    const cwBase = level * count;
    for (let g = 0; g < count; g++) {
      const a = j >= 32 ? (ahi[g]! >>> (j - 32)) & 1 : (alo[g]! >>> j) & 1;
      const o = 8 * g;
      const lose = a ? o : o + 4;
      const keep = a ? o + 4 : o;
      const c = 4 * (cwBase + g);
      const l0 = e0[lose]! ^ e1[lose]!;
      const c0 = l0 & ~3;
      const c1 = e0[lose + 1]! ^ e1[lose + 1]!;
      const c2 = e0[lose + 2]! ^ e1[lose + 2]!;
      const c3 = e0[lose + 3]! ^ e1[lose + 3]!;
      cw32[c] = c0;
      cw32[c + 1] = c1;
      cw32[c + 2] = c2;
      cw32[c + 3] = c3;
      const vLose = (l0 >>> 1) & 1;
      const vKeep = ((e0[keep]! ^ e1[keep]!) >>> 1) & 1;
      const vcw = vLose ^ va[g]! ^ a;
      va[g] = va[g]! ^ vKeep ^ vcw;
      const tl = (e0[o]! ^ e1[o]! ^ a ^ 1) & 1;
      const tr = (e0[o + 4]! ^ e1[o + 4]! ^ a) & 1;
      cwBits[cwBase + g] = vcw | (tl << 1) | (tr << 2);
      const tKeepCw = a ? tr : tl;
      const k = 4 * g;
      const nt0 = (e0[keep]! & 1) ^ (t0[g]! & tKeepCw);
      const nt1 = (e1[keep]! & 1) ^ (t1[g]! & tKeepCw);
      // A seed with control bit 1 takes the correction; the two lowest bits are cleared either way.
      const m0 = t0[g] ? -1 : 0;
      const m1 = t1[g] ? -1 : 0;
      s0[k] = (e0[keep]! & ~3) ^ (c0 & m0);
      s0[k + 1] = e0[keep + 1]! ^ (c1 & m0);
      s0[k + 2] = e0[keep + 2]! ^ (c2 & m0);
      s0[k + 3] = e0[keep + 3]! ^ (c3 & m0);
      s1[k] = (e1[keep]! & ~3) ^ (c0 & m1);
      s1[k + 1] = e1[keep + 1]! ^ (c1 & m1);
      s1[k + 2] = e1[keep + 2]! ^ (c2 & m1);
      s1[k + 3] = e1[keep + 3]! ^ (c3 & m1);
      t0[g] = nt0;
      t1[g] = nt1;
    }
  }
  // Leaves: 128 bits from each final seed; on alpha's path they must xor to [u < alpha mod 2^leafBits].
  expandSeeds(new Uint8Array(s0.buffer), count, e0b);
  expandSeeds(new Uint8Array(s1.buffer), count, e1b);
  const leafBits = bits - levels;
  const final = new Uint8Array(16 * count);
  for (let g = 0; g < count; g++) {
    const low = alo[g]! & ((1 << leafBits) - 1);
    for (let byte = 0; byte < 16; byte++) {
      // Bits u of this byte with u < low set.
      const below = low - 8 * byte;
      const target = below >= 8 ? 0xff : below <= 0 ? 0 : (1 << below) - 1;
      final[16 * g + byte] = e0b[32 * g + byte]! ^ e1b[32 * g + byte]! ^ (va[g] ? 0xff : 0) ^ target;
    }
  }
  const pub: DcfPublic = { count, bits, cw, cwBits, final };
  return [
    { ...pub, seeds: root0, party: 0 },
    { ...pub, seeds: root1, party: 1 },
  ];
}

/** This party's XOR share of [x[g] < alpha[g]], one byte (0 or 1) per gate. */
export function dcfEval(key: DcfKey, x: Float64Array): Uint8Array {
  if (x.length !== key.count) throw new SmpcError('shape', `comparison inputs: ${x.length} values for ${key.count} keys`);
  const [xhi, xlo] = splitWords(x, key.bits, 'masked comparison input');
  return dcfEvalWords(key, xhi, xlo);
}

/** Gates per AES call in the evaluator: 128 KiB of blocks, all state of a chunk stays in cache. */
const EVAL_CHUNK = 8192;
const evalBlocks = new Uint8Array(16 * EVAL_CHUNK);
const evalIn = new Uint32Array(evalBlocks.buffer);

/**
 * dcfEval with x as 32-bit words (hi, lo), each below 2^bits (the caller
 * extracts them). The evaluator follows one child per level, so it needs one
 * AES block per gate and level; it walks all levels of a chunk of gates
 * before the next chunk, and keeps each seed in the AES input block itself
 * (bit 0 of the first word, cleared in every seed, carries the side to take).
 */
export function dcfEvalWords(key: DcfKey, xhi: Uint32Array, xlo: Uint32Array): Uint8Array {
  const { count, bits, cw, cwBits, final } = key;
  if (xlo.length !== count || xhi.length !== count) throw new SmpcError('shape', `comparison inputs: ${xlo.length} values for ${count} keys`);
  const seeds = key.seeds.byteOffset % 4 === 0 ? new Uint32Array(key.seeds.buffer, key.seeds.byteOffset, 4 * count) : new Uint32Array(key.seeds.slice(0, 16 * count).buffer);
  const cw32 = cw.byteOffset % 4 === 0 ? new Uint32Array(cw.buffer, cw.byteOffset, cw.byteLength / 4) : new Uint32Array(cw.slice().buffer);
  const v = new Uint8Array(count);
  const levels = dcfLevels(bits);
  const leafMask = (1 << (bits - levels)) - 1;
  const sideBit = (g: number, j: number): number => (j < 0 ? 0 : j >= 32 ? (xhi[g]! >>> (j - 32)) & 1 : (xlo[g]! >>> j) & 1);
  const t = new Uint8Array(EVAL_CHUNK);
  for (let start = 0; start < count; start += EVAL_CHUNK) {
    const n = Math.min(EVAL_CHUNK, count - start);
    const j0 = levels > 0 ? bits - 1 : -1;
    for (let i = 0; i < n; i++) {
      const o = 4 * i;
      const so = 4 * (start + i);
      evalIn[o] = seeds[so]! | sideBit(start + i, j0);
      evalIn[o + 1] = seeds[so + 1]!;
      evalIn[o + 2] = seeds[so + 2]!;
      evalIn[o + 3] = seeds[so + 3]!;
    }
    t.fill(key.party, 0, n);
    for (let level = 0; level < levels; level++) {
      const enc = aesFixedBlocks(evalBlocks.subarray(0, 16 * n));
      const e32 = enc.byteOffset % 4 === 0 ? new Uint32Array(enc.buffer, enc.byteOffset, 4 * n) : new Uint32Array(new Uint8Array(enc).buffer);
      const jNext = level + 1 < levels ? bits - 2 - level : -1;
      const cwBase = level * count + start;
      for (let i = 0; i < n; i++) {
        const o = 4 * i;
        const in0 = evalIn[o]!;
        const side = in0 & 1;
        const a0 = e32[o]! ^ in0;
        let s0 = a0 & ~3;
        let s1 = e32[o + 1]! ^ evalIn[o + 1]!;
        let s2 = e32[o + 2]! ^ evalIn[o + 2]!;
        let s3 = e32[o + 3]! ^ evalIn[o + 3]!;
        const g = start + i;
        if (t[i]) {
          const cb = cwBits[cwBase + i]!;
          const c = 4 * (cwBase + i);
          v[g] = v[g]! ^ ((a0 >>> 1) & 1) ^ (cb & 1);
          t[i] = (a0 & 1) ^ ((cb >>> (1 + side)) & 1);
          s0 ^= cw32[c]!;
          s1 ^= cw32[c + 1]!;
          s2 ^= cw32[c + 2]!;
          s3 ^= cw32[c + 3]!;
        } else {
          v[g] = v[g]! ^ ((a0 >>> 1) & 1);
          t[i] = a0 & 1;
        }
        evalIn[o] = s0 | sideBit(g, jNext);
        evalIn[o + 1] = s1;
        evalIn[o + 2] = s2;
        evalIn[o + 3] = s3;
      }
    }
    // Leaf: the left child G_0 of the final seed holds 128 output bits.
    const enc = aesFixedBlocks(evalBlocks.subarray(0, 16 * n));
    for (let i = 0; i < n; i++) {
      const g = start + i;
      const u = xlo[g]! & leafMask;
      const byte = 16 * i + (u >>> 3);
      v[g] = v[g]! ^ (((enc[byte]! ^ evalBlocks[byte]!) >>> (u & 7)) & 1) ^ (t[i]! & leafBit(final, g, u));
    }
  }
  return v;
}
