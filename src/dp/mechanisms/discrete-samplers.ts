/**
 * Exact samplers for the discrete Laplace and discrete Gaussian distributions
 * over the integers (Canonne, Kamath & Steinke 2020, "The Discrete Gaussian
 * for Differential Privacy", Algorithms 1-3), in integer arithmetic only.
 *
 * The Gaussian's scale is a power of two, t = 2^m. That choice makes every
 * Bernoulli(exp(-x)) the algorithms need have x = n / 2^k with integer n, so
 * each trial is a comparison of random bits with an integer: exact, no
 * BigInt, and fast enough for a noise value per model parameter per step.
 * All intermediate integers stay below 2^53 for m <= MAX_LOG2_SCALE.
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

/**
 * The discrete Gaussian with scale sigma = 2^m: P(x) proportional to
 * exp(-x^2 / (2 sigma^2)) over the integers (CKS Algorithm 3 with t = sigma,
 * so sigma^2 / t = t). A discrete-Laplace proposal y of scale t (Algorithm 2
 * inlined) is accepted with probability exp(-(|y| - t)^2 / (2 t^2)); writing
 * a = ||y| - t| = h t + l with 0 <= l < t, that exponent is
 * h^2 / 2 + h l / t + l^2 / 2^(2m+1): Bernoulli trials whose probabilities
 * have power-of-two denominators.
 */
export class DiscreteGaussianPow2 {
  readonly scale: number;
  private readonly squareBits: number;

  constructor(
    private readonly bits: SecureBits,
    readonly log2Scale: number,
  ) {
    if (!(Number.isInteger(log2Scale) && log2Scale >= 0 && log2Scale <= MAX_LOG2_SCALE)) {
      throw new RangeError(`discrete Gaussian scale 2^m needs an integer m in [0, ${MAX_LOG2_SCALE}], got ${log2Scale}`);
    }
    this.scale = 2 ** log2Scale;
    this.squareBits = 2 * log2Scale + 1;
  }

  sample(): number {
    const { bits, scale: t, log2Scale: m } = this;
    for (;;) {
      const u = bits.bits(m);
      if (!this.expOverScale(u)) continue;
      let v = 0;
      while (bernoulliExpMinusOne(bits)) v++;
      const y = u + t * v;
      const negative = bits.bit() === 1;
      if (negative && y === 0) continue;
      if (this.accept(y >= t ? y - t : t - y)) return negative ? -y : y;
    }
  }

  /** Bernoulli(exp(-a^2 / (2 t^2))). */
  private accept(a: number): boolean {
    const t = this.scale;
    if (a < t) return bernoulliExpFraction(this.bits, a * a, this.squareBits);
    const h = Math.floor(a / t);
    const l = a - h * t;
    const hh = h * h;
    const hl = h * l;
    const hlWhole = Math.floor(hl / t);
    return (
      bernoulliExpInteger(this.bits, Math.floor(hh / 2)) &&
      (hh % 2 === 0 || bernoulliExpFraction(this.bits, t * t, this.squareBits)) && // exp(-1/2)
      bernoulliExpInteger(this.bits, hlWhole) &&
      this.expOverScale(hl - hlWhole * t) &&
      bernoulliExpFraction(this.bits, l * l, this.squareBits)
    );
  }

  /** Bernoulli(exp(-u / t)) for 0 <= u < t. */
  private expOverScale(u: number): boolean {
    return bernoulliExpFraction(this.bits, u, this.log2Scale);
  }
}
