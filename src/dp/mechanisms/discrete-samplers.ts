/**
 * Exact samplers for the discrete Laplace distribution and the Bernoulli trials
 * behind it (Canonne, Kamath & Steinke 2020, "The Discrete Gaussian
 * for Differential Privacy", Algorithms 1-3), in integer arithmetic only.
 *
 * The discrete Gaussian itself (scale 2^m, one value per model parameter per
 * step) is in discrete-gaussian.ts and native/noise.c, with lazily compared
 * random bits.
 */
import type { SecureBits } from './secure-bits.js';

/** Largest log2 of the Gaussian scale: l^2 < 2^(2m) must fit a double's 53-bit mantissa. */
export const MAX_LOG2_SCALE = 26;

/** Bernoulli(1 / K) for an integer K >= 1. */
function bernoulliOneOver(bits: SecureBits, K: number): boolean {
  return K === 1 || bits.uniformInt(K) === 0;
}

/** Bernoulli(exp(-1)) (CKS Algorithm 1 with gamma = 1): K counts successes of Bernoulli(1/K); exp(-1) = P(K odd). */
export function bernoulliExpMinusOne(bits: SecureBits): boolean {
  let K = 2;
  while (bits.uniformInt(K) === 0) K++;
  return (K & 1) === 1;
}

/** Bernoulli(exp(-n)) for an integer n >= 0. */
function bernoulliExpInteger(bits: SecureBits, n: number): boolean {
  for (let i = 0; i < n; i++) if (!bernoulliExpMinusOne(bits)) return false;
  return true;
}

/**
 * Bernoulli(exp(-g)) for g = n / 2^k in [0, 1), integers 0 <= n < 2^k, k <= 53
 * (CKS Algorithm 1): K counts successes of Bernoulli(g / K), drawn as
 * Bernoulli(g) AND Bernoulli(1 / K); exp(-g) is the probability K ends odd.
 */
export function bernoulliExpFraction(bits: SecureBits, n: number, k: number): boolean {
  if (n === 0) return true;
  let K = 1;
  while (bits.belowPow2(n, k) && bernoulliOneOver(bits, K)) K++;
  return (K & 1) === 1;
}

/** Bernoulli(exp(-n / 2^k)) for integers n >= 0 (n < 2^53), 0 <= k <= 53. */
export function bernoulliExpPow2(bits: SecureBits, n: number, k: number): boolean {
  const scale = 2 ** k;
  const whole = Math.floor(n / scale);
  return bernoulliExpInteger(bits, whole) && bernoulliExpFraction(bits, n - whole * scale, k);
}

/** Bernoulli(exp(-u / t)) for integers 0 <= u < t <= 2^53 (Algorithm 1 with gamma = u / t). */
function bernoulliExpRatio(bits: SecureBits, u: number, t: number): boolean {
  if (u === 0) return true;
  let K = 1;
  while (bits.uniformInt(t) < u && bernoulliOneOver(bits, K)) K++;
  return (K & 1) === 1;
}

/**
 * The discrete Laplace distribution with scale t / s: P(x) proportional to
 * exp(-|x| s / t) over the integers (CKS Algorithm 2), for integers t, s >= 1.
 */
export function sampleDiscreteLaplace(bits: SecureBits, t: number, s = 1): number {
  if (!(Number.isSafeInteger(t) && t >= 1 && Number.isSafeInteger(s) && s >= 1)) {
    throw new RangeError(`discrete Laplace needs integers t, s >= 1, got t=${t}, s=${s}`);
  }
  for (;;) {
    const u = bits.uniformInt(t);
    if (!bernoulliExpRatio(bits, u, t)) continue;
    let v = 0;
    while (bernoulliExpMinusOne(bits)) v++;
    const y = Math.floor((u + t * v) / s);
    const negative = bits.bit() === 1;
    if (negative && y === 0) continue;
    return negative ? -y : y;
  }
}
