import { HeError } from './errors.js';
import { loadPlain, mulPoly, toNtt, type HeContext } from './context.js';
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
  const scaled = mulPoly(he, toNtt(he, fromIntegers(he.data, ints)), constantPoly(he.data, 2n ** BigInt(p.scaleBits - p.fixedPointBits)));
  return loadPlain(he, scaled, 2 ** p.scaleBits);
}

/** CRT constants: x = sum_j r_j * M_j mod Q. */
function crt(b: RnsBasis): { Q: bigint; m: bigint[] } {
  const Q = b.q.reduce((a, q) => a * q, 1n);
  return { Q, m: b.q.map((q) => (Q / q) * modPow(Q / q, q - 2n, q)) };
}

/**
 * The first `count` coefficients of a coefficient-form polynomial, centred
 * in (-Q/2, Q/2] and divided by the scale.
 */
export function decodeCoefficients(he: HeContext, coeffs: Uint32Array, count: number): Float64Array {
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
