/**
 * The standard normal distribution to full double precision, including its far
 * tails in log space. Privacy accounting lives in those tails (delta = 1e-10 is a
 * normal tail at ~6.4 sigma), so the textbook approximations with 1e-7 error are
 * not good enough here.
 */

const SQRT_PI = Math.sqrt(Math.PI);
const SQRT1_2 = Math.SQRT1_2;
const TWO_OVER_SQRT_PI = 2 / SQRT_PI;

/**
 * The scaled complementary error function exp(x^2) * erfc(x) for x >= 0.
 * Below 1.2 a positive-term power series (no cancellation inside the sum, and
 * little in exp(x^2) - sum); from 1.2 on the Laplace continued fraction,
 * evaluated backwards with a depth that reaches full precision for that range.
 * Relative error is a few 1e-15 (checked against 40-digit values in
 * test/accounting/normal.test.ts).
 */
function erfcxNonNegative(x: number): number {
  if (x < 1.2) {
    // erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n (2x^2)^n x / (1*3*...*(2n+1))
    const twoX2 = 2 * x * x;
    let term = x;
    let sum = x;
    for (let n = 1; n < 200 && term > sum * 1e-17; n++) {
      term *= twoX2 / (2 * n + 1);
      sum += term;
    }
    return Math.exp(x * x) - TWO_OVER_SQRT_PI * sum;
  }
  // sqrt(pi) * erfcx(x) = 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))
  const depth = x < 1.5 ? 170 : x < 2 ? 130 : x < 2.5 ? 64 : x < 3 ? 44 : x < 4 ? 32 : 22;
  let tail = x;
  for (let k = depth; k >= 1; k--) tail = x + k / 2 / tail;
  return 1 / (SQRT_PI * tail);
}

/** erfc(x) for any real x. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x >= 0) {
    if (x > 27.3) return 0; // below the smallest double
    return Math.exp(-x * x) * erfcxNonNegative(x);
  }
  return 2 - erfc(-x);
}

/** log(erfc(x)), finite for every finite x. */
export function logErfc(x: number): number {
  if (x >= 0) return -x * x + Math.log(erfcxNonNegative(x));
  return Math.log(2 - erfc(-x));
}

/** Phi(x) = P(Z <= x). */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x * SQRT1_2);
}

/** 1 - Phi(x) = P(Z > x), accurate in the upper tail. */
export function normalSf(x: number): number {
  return 0.5 * erfc(x * SQRT1_2);
}

/** log Phi(x), accurate in the lower tail (x = -1000 is fine). */
export function logNormalCdf(x: number): number {
  if (x > 0) return Math.log1p(-normalSf(x));
  return Math.log(0.5) + logErfc(-x * SQRT1_2);
}

/**
 * Phi(x) and 1 - Phi(x) together, each accurate where it is small, for one
 * erfc evaluation.
 */
export function normalCdfAndSf(x: number): { cdf: number; sf: number } {
  if (x >= 0) {
    const sf = 0.5 * erfc(x * SQRT1_2);
    return { cdf: 1 - sf, sf };
  }
  const cdf = 0.5 * erfc(-x * SQRT1_2);
  return { cdf, sf: 1 - cdf };
}
