import { HeError } from './errors.js';

/**
 * The CKKS parameters of a run, and the bounds they guarantee. Chosen in
 * docs/he.md: N = 8192, coefficient modulus [60, 50 | 60] (two data primes,
 * one special prime for key switching during public-key encryption), scale
 * 2^88, coefficient packing (N reals per ciphertext, no slots).
 */
export interface CkksParams {
  readonly polyModulusDegree: number;
  readonly coeffModulusBits: readonly number[]; // data primes first, special prime last
  readonly scaleBits: number; // Delta = 2^scaleBits
  /** Inputs are rounded to multiples of 2^-fixedPointBits before scaling (|x| * 2^fixedPointBits < 2^52). */
  readonly fixedPointBits: number;
  /** |x| bound of one pre-weighted input coordinate. */
  readonly maxAbsInput: number;
  /** Per-party smudging: discrete Gaussian, sigma = 2^smudgingSigmaBits, in the coefficient domain. */
  readonly smudgingSigmaBits: number;
  /** Decrypted ciphertexts allowed per collective key before it must be rotated (tau in the smudging bound). */
  readonly maxDecryptionsPerKey: number;
  /** Most parties whose smudging the error bound covers. */
  readonly maxParties: number;
}

export const DEFAULT_CKKS_PARAMS: CkksParams = {
  polyModulusDegree: 8192,
  coeffModulusBits: [60, 50, 60],
  scaleBits: 88,
  fixedPointBits: 40,
  maxAbsInput: 2 ** 12,
  smudgingSigmaBits: 46,
  maxDecryptionsPerKey: 2 ** 20,
  maxParties: 64,
};

/** Bits of the data modulus Q (the primes ciphertexts travel under). */
function dataModulusBits(p: CkksParams): number {
  return p.coeffModulusBits.slice(0, -1).reduce((a, b) => a + b, 0);
}

/**
 * Headroom and precision checks that SEAL cannot do for us (SEAL checks the
 * 128-bit security table; see context.ts): the largest sum must stay below
 * Q/2 after scaling, the fixed-point input must be exact in float64, and the
 * smudging of maxParties parties must stay far below the output precision.
 */
export function checkParams(p: CkksParams): void {
  const bad = (msg: string): never => {
    throw new HeError('invalid-params', msg);
  };
  if (p.coeffModulusBits.length < 2) bad('need at least one data prime and the special prime');
  const maxSumBits = Math.log2(p.maxAbsInput * p.maxParties);
  if (p.scaleBits + maxSumBits + 1 > dataModulusBits(p) - 1) {
    bad(`scale 2^${p.scaleBits} times the largest sum 2^${maxSumBits} does not fit below Q/2 = 2^${dataModulusBits(p) - 1}`);
  }
  if (Math.log2(p.maxAbsInput) + p.fixedPointBits > 52) bad("maxAbsInput * 2^fixedPointBits must stay within 2^52 (exact in float64)");
  if (p.scaleBits < p.fixedPointBits) bad('scale must be at least the fixed-point precision');
  if (errorBound(p) > 2 ** -24) bad(`error bound ${errorBound(p)} exceeds 2^-24`);
}

/**
 * Documented absolute error bound of one decrypted coefficient of a sum of
 * up to maxParties inputs: input rounding (2^-(fixedPointBits+1) per party),
 * plus smudging at 16 sigma of the sum of maxParties Gaussians plus the
 * ciphertext noise (measured below 2^13 for 50 parties; we allow 2^16),
 * divided by the scale, plus the float64 rounding of the decoded value
 * (2^-52 of the largest sum). The 16-sigma tail is below 2^-180.
 */
export function errorBound(p: CkksParams): number {
  const rounding = p.maxParties * 2 ** -(p.fixedPointBits + 1);
  const noise = 16 * Math.sqrt(p.maxParties) * 2 ** p.smudgingSigmaBits + 2 ** 16;
  return rounding + noise / 2 ** p.scaleBits + p.maxAbsInput * p.maxParties * 2 ** -52;
}
