import { HeError } from './errors.js';
import { loadPair, loadPlain, pairOf, type HeContext } from './context.js';
import { constantPoly, fromIntegers, modPow, type RnsBasis } from './rns.js';
import type { SealPlainText } from './seal.js';

/**
 * Coefficient packing: N reals per plaintext, m(X) = sum_k round(Delta x_k) X^k.
 * Addition-only aggregation needs no slots, and this halves the bytes of
 * CKKSEncoder's real slots and avoids its decoding noise gain. Inputs are
 * first rounded to fixed point 2^-f (exact in float64), written as residues,
 * NTT'd and multiplied by 2^(scaleBits - f) by SEAL.
 */
export function encodeCoefficients(he: HeContext, values: ArrayLike<number>, what: string): SealPlainText {
  return encodeChunks(he, [values], what)[0]!;
}

/** Several chunks; two at a time ride one ciphertext image through SEAL's NTT and scaling. */
export function encodeChunks(he: HeContext, chunks: readonly ArrayLike<number>[], what: string): SealPlainText[] {
  const out: SealPlainText[] = [];
  const delta = 2 ** he.params.scaleBits;
  for (let i = 0; i < chunks.length; i += 2) {
    const a = fixedPoint(he, chunks[i]!, `${what}, chunk ${i}`);
    const b = i + 1 < chunks.length ? fixedPoint(he, chunks[i + 1]!, `${what}, chunk ${i + 1}`) : a;
    const ct = loadPair(he, a, b, false);
    he.evaluator.cipherTransformToNtt(ct, ct);
    he.evaluator.multiplyPlain(ct, scalingPlain(he), ct);
    const [c0, c1] = pairOf(he, ct);
    ct.delete();
    out.push(loadPlain(he, c0, delta));
    if (i + 1 < chunks.length) out.push(loadPlain(he, c1, delta));
  }
  return out;
}

function fixedPoint(he: HeContext, values: ArrayLike<number>, what: string): Uint32Array {
  const p = he.params;
  const n = p.polyModulusDegree;
  if (values.length > n) throw new HeError('invalid-input', `${what}: ${values.length} values do not fit one ciphertext (${n})`);
  const ints = new Float64Array(n);
  const fp = 2 ** p.fixedPointBits;
  for (let k = 0; k < values.length; k++) {
    const x = values[k]!;
    if (!Number.isFinite(x) || Math.abs(x) > p.maxAbsInput) {
      throw new HeError('invalid-input', `${what}: value ${k} is ${x}, expected a finite number with |x| <= ${p.maxAbsInput}`);
    }
    ints[k] = Math.round(x * fp);
  }
  return fromIntegers(he.data, ints);
}

/** 2^(scaleBits - fixedPointBits) as a plaintext, made once per context. */
const scaling = new WeakMap<HeContext, SealPlainText>();
function scalingPlain(he: HeContext): SealPlainText {
  let pt = scaling.get(he);
  if (pt === undefined) {
    pt = loadPlain(he, constantPoly(he.data, 2n ** BigInt(he.params.scaleBits - he.params.fixedPointBits)), 1);
    scaling.set(he, pt);
  }
  return pt;
}

/** CRT constants: x = sum_j r_j * M_j mod Q. */
function crt(b: RnsBasis): { Q: bigint; m: bigint[] } {
  const Q = b.q.reduce((a, q) => a * q, 1n);
  return { Q, m: b.q.map((q) => (Q / q) * modPow(Q / q, q - 2n, q)) };
}

/**
 * The first `count` coefficients of a coefficient-form polynomial, centred
 * in (-Q/2, Q/2] and divided by the scale. Two data primes (the default):
 * Garner's CRT in float64, X = x0 + q0 k with k = (x1 - x0) q0^-1 mod q1,
 * exact integer steps and one final float rounding (at most
 * 2^-52 (|value| + q0 / Delta), q0 / Delta = 2^-28). Other prime counts: BigInt.
 */
export function decodeCoefficients(he: HeContext, coeffs: Uint32Array, count: number): Float64Array {
  return he.data.q.length === 2 ? decodeTwoPrimes(he, coeffs, count) : decodeBigInt(he, coeffs, count);
}

function decodeTwoPrimes(he: HeContext, coeffs: Uint32Array, count: number): Float64Array {
  const b = he.data;
  const [q0, q1] = b.q as [bigint, bigint];
  if (q1 >= 2n ** 52n) return decodeBigInt(he, coeffs, count);
  const q1f = Number(q1);
  const q1h = b.qHi[1]!;
  const q1l = b.qLo[1]!;
  const inv = modPow(q0 % q1, q1 - 2n, q1);
  const halfQ1 = Math.floor(q1f / 2);
  const q0OverDelta = Number(q0) / 2 ** he.params.scaleBits;
  const invDelta = 2 ** -he.params.scaleBits;
  const out = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    const x0l = coeffs[2 * k]!;
    const x0h = coeffs[2 * k + 1]!;
    const x1 = coeffs[2 * (b.n + k) + 1]! * 2 ** 32 + coeffs[2 * (b.n + k)]!; // < q1 < 2^52: exact
    // x0 mod q1: estimate the quotient (off by at most one), subtract in 32-bit halves (all exact)
    const e = Math.floor((x0h * 2 ** 32 + x0l) / q1f);
    let r = (x0h - e * q1h) * 2 ** 32 + (x0l - e * q1l);
    if (r < 0) r += q1f;
    else if (r >= q1f) r -= q1f;
    let d = x1 - r;
    if (d < 0) d += q1f;
    const g = Number((BigInt(d) * inv) % q1); // Garner's digit: X = x0 + q0 g
    const centred = g > halfQ1 ? g - q1f : g;
    out[k] = (x0h * 2 ** 32 + x0l) * invDelta + centred * q0OverDelta;
  }
  return out;
}

export function decodeBigInt(he: HeContext, coeffs: Uint32Array, count: number): Float64Array {
  const b = he.data;
  const { Q, m } = crt(b);
  const half = Q >> 1n;
  const words = new BigUint64Array(coeffs.buffer, coeffs.byteOffset, coeffs.length / 2);
  const scale = 2 ** he.params.scaleBits;
  const out = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    let x = 0n;
    for (let j = 0; j < b.q.length; j++) x += words[j * b.n + k]! * m[j]!;
    x %= Q;
    if (x > half) x -= Q;
    out[k] = Number(x) / scale;
  }
  return out;
}
