import { createCipheriv } from 'node:crypto';
import { hkdfSha256 } from '../crypto/hkdf.js';
import type { RandomSource } from '../crypto/random.js';
import { HeError } from './errors.js';
import { loadPair, loadPlain, mulPoly, pairOf, type HeContext } from './context.js';
import { decodeCoefficients } from './packing.js';
import { addInto, constantPoly, fromIntegers, uniformPoly } from './rns.js';
import { lagrangeAtZero } from './threshold.js';
import type { SealPlainText } from './seal.js';

/**
 * Threshold decryption of an aggregate (c0, c1) without the coordinator
 * learning the result. Holder h of active set T sends
 *   d_h = c1 * lambda_h^T S(h) + NTT(E_h) + R_h   (mod q_j, NTT form)
 * E_h: smudging (discrete Gaussian, sigma 2^46, CSPRNG) so that the
 *   released values do not leak the key (Li-Micciancio, noise flooding);
 * R_h: a pad, uniform mod q_j, from the consortium key that only nodes hold.
 * The coordinator returns F = c0 + sum d_h = Delta m + e + sum E_h + sum R_h;
 * each node subtracts sum R_h over T, inverts the NTT and decodes.
 */
/** lambda_h^T S(h) as a SEAL plaintext (data level, NTT form): the node's additive key share for set T. */
export function partialKey(he: HeContext, keyShare: Uint32Array, holder: number, active: readonly number[]): SealPlainText {
  return additiveKey(he, mulPoly(he, keyShare, constantPoly(he.data, lagrangeAtZero(he, holder, active))));
}

/** An additive key share given at data level, as a plaintext that multiplies c1 pointwise. */
export function additiveKey(he: HeContext, dataLevelShare: Uint32Array): SealPlainText {
  return loadPlain(he, dataLevelShare, 1);
}

/** N integers from a discrete Gaussian of sigma 2^bits (Box-Muller over 53-bit CSPRNG uniforms, rounded). */
export function smudgingNoise(n: number, sigmaBits: number, random: RandomSource): Float64Array {
  const raw = random(16 * Math.ceil(n / 2));
  const u = new Uint32Array(raw.buffer, raw.byteOffset, raw.length / 4);
  const out = new Float64Array(n);
  const sigma = 2 ** sigmaBits;
  const unit = (i: number) => (u[i]! * 2 ** 21 + (u[i + 1]! >>> 11) + 0.5) / 2 ** 53; // in (0, 1)
  for (let k = 0; k < n; k += 2) {
    const r = Math.sqrt(-2 * Math.log(unit(4 * (k / 2)))) * sigma;
    const t = 2 * Math.PI * unit(4 * (k / 2) + 2);
    out[k] = Math.round(r * Math.cos(t));
    if (k + 1 < n) out[k + 1] = Math.round(r * Math.sin(t));
  }
  return out;
}

/**
 * c1 * key + NTT(E) per chunk: the shares before their pads. Two chunks ride
 * one ciphertext image: multiplyPlain by the key, add the NTT'd noise.
 */
export function smudgedShares(he: HeContext, key: SealPlainText, c1s: readonly Uint32Array[], random: RandomSource): Uint32Array[] {
  const out: Uint32Array[] = [];
  const { polyModulusDegree: n, smudgingSigmaBits: bits } = he.params;
  for (let i = 0; i < c1s.length; i += 2) {
    const a = c1s[i]!;
    const b = c1s[i + 1] ?? a;
    const ct = loadPair(he, a, b, true);
    he.evaluator.multiplyPlain(ct, key, ct);
    const noise = loadPair(he, fromIntegers(he.data, smudgingNoise(n, bits, random)), fromIntegers(he.data, smudgingNoise(n, bits, random)), false);
    he.evaluator.cipherTransformToNtt(noise, noise);
    he.evaluator.add(ct, noise, ct);
    const [s0, s1] = pairOf(he, ct);
    ct.delete();
    noise.delete();
    out.push(s0);
    if (i + 1 < c1s.length) out.push(s1);
  }
  return out;
}

export function smudgedShare(he: HeContext, key: SealPlainText, c1: Uint32Array, random: RandomSource): Uint32Array {
  return smudgedShares(he, key, [c1], random)[0]!;
}

/** G_label for one chunk of one aggregate: AES-256-CTR under a key derived for exactly this use. */
function padStream(he: HeContext, consortiumKey: Uint8Array, aggregateId: Uint8Array, label: number, chunk: number): Uint32Array {
  const info = new TextEncoder().encode(`privmed/he/pad/v1\0${label}\0${chunk}`);
  const cipher = createCipheriv('aes-256-ctr', hkdfSha256(consortiumKey, aggregateId, info), new Uint8Array(16));
  return uniformPoly(he.data, (bytes) => new Uint8Array(cipher.update(new Uint8Array(bytes))));
}

/**
 * R_h = G_h - G_next(h) (cyclic over T), plus G_0 for the first node of T.
 * Every share is hidden by a uniform pad, the pads of T sum to G_0, so a
 * node unpads the combined result with one stream instead of t.
 */
export function padPoly(he: HeContext, consortiumKey: Uint8Array, aggregateId: Uint8Array, active: readonly number[], holder: number, chunk: number): Uint32Array {
  const set = [...active].sort((a, b) => a - b);
  const at = set.indexOf(holder);
  if (at < 0) throw new HeError('protocol', `node ${holder} is not in the active set [${set.join(', ')}]`);
  const pad = padStream(he, consortiumKey, aggregateId, holder, chunk);
  addInto(he.data, pad, padStream(he, consortiumKey, aggregateId, set[(at + 1) % set.length]!, chunk), -1);
  if (at === 0) addInto(he.data, pad, padStream(he, consortiumKey, aggregateId, 0, chunk));
  return pad;
}

export interface PadBinding {
  consortiumKey: Uint8Array;
  aggregateId: Uint8Array;
  active: readonly number[];
  holder: number;
  chunk: number;
}

/** d_h = c1 * key + NTT(E_h) + R_h: what a node sends for one chunk. */
export function decryptionShare(he: HeContext, key: SealPlainText, c1: Uint32Array, pad: PadBinding, random: RandomSource): Uint32Array {
  const share = smudgedShare(he, key, c1, random);
  addInto(he.data, share, padPoly(he, pad.consortiumKey, pad.aggregateId, pad.active, pad.holder, pad.chunk));
  return share;
}

/** Coordinator side: F = c0 + sum of the (padded) shares. Sees only uniform values. */
export function combineShares(he: HeContext, c0: Uint32Array, shares: readonly Uint32Array[]): Uint32Array {
  const f = c0.slice();
  for (const s of shares) addInto(he.data, f, s);
  return f;
}

/**
 * Node side: remove the pads (G_0), leave the NTT, decode the first
 * `counts[i]` values of each chunk; two chunks share one inverse NTT.
 */
export function openCombinedChunks(
  he: HeContext,
  combined: readonly Uint32Array[],
  consortiumKey: Uint8Array,
  aggregateId: Uint8Array,
  firstChunk: number,
  counts: readonly number[],
): Float64Array[] {
  const unpadded = combined.map((c, i) => {
    const f = c.slice();
    addInto(he.data, f, padStream(he, consortiumKey, aggregateId, 0, firstChunk + i), -1);
    return f;
  });
  const out: Float64Array[] = [];
  for (let i = 0; i < unpadded.length; i += 2) {
    const ct = loadPair(he, unpadded[i]!, unpadded[i + 1] ?? unpadded[i]!, true);
    he.evaluator.cipherTransformFromNtt(ct, ct);
    const [a, b] = pairOf(he, ct);
    ct.delete();
    out.push(decodeCoefficients(he, a, counts[i]!));
    if (i + 1 < unpadded.length) out.push(decodeCoefficients(he, b, counts[i + 1]!));
  }
  return out;
}

export function openCombined(he: HeContext, combined: Uint32Array, consortiumKey: Uint8Array, aggregateId: Uint8Array, chunk: number, count: number): Float64Array {
  return openCombinedChunks(he, [combined], consortiumKey, aggregateId, chunk, [count])[0]!;
}
