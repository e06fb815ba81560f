import { logAdd, logBinomial } from './logspace.js';

/**
 * L2 sensitivity of a sum of clipped per-example gradients, in units of the
 * clipping norm, when neighbouring datasets differ by REPLACING one record
 * (fixed-size batches: n is public). The old and new record's clipped
 * gradients can point in opposite directions, so the sum moves by up to 2C.
 */
export const REPLACE_ONE_SENSITIVITY = 2;

/**
 * An upper bound on the RDP of one step of the Gaussian mechanism applied to a
 * fixed-size batch drawn uniformly WITHOUT replacement (batch = sampleRate * n),
 * at order alpha > 1.
 *
 * Bound: Wang, Balle & Kasiviswanathan 2019, "Subsampled Renyi Differential
 * Privacy and Analytical Moments Accountant", Theorem 9 (integer orders), with
 * the base Gaussian mechanism's RDP eps(j) = j * s^2 / (2 sigma^2) for
 * sensitivity s = REPLACE_ONE_SENSITIVITY, and eps(inf) = inf:
 *
 *   (alpha-1) rdp(alpha) <= log(1 + q^2 C(alpha,2) min(4(e^eps(2) - 1), 2 e^eps(2))
 *                                 + sum_{j=3..alpha} 2 q^j C(alpha,j) e^{(j-1) eps(j)})
 *
 * Fractional orders: (alpha-1) rdp(alpha) is the cumulant generating function of
 * the privacy loss, which is convex in alpha, so the straight line between the
 * bounds at floor(alpha) and ceil(alpha) bounds it from above (their
 * Corollary 10; at alpha = 1 it is 0). The result is finally capped by the RDP
 * of the un-subsampled mechanism, which subsampling can never exceed.
 */
export function uniformGaussianRdp(q: number, sigma: number, alpha: number): number {
  if (!(alpha > 1)) throw new RangeError(`RDP order must be > 1, got ${alpha}`);
  if (q === 0) return 0;
  if (sigma === 0 || alpha === Infinity) return Infinity;
  const s2 = REPLACE_ONE_SENSITIVITY * REPLACE_ONE_SENSITIVITY;
  const fullBatch = (alpha * s2) / (2 * sigma * sigma);
  if (q === 1) return fullBatch;
  const lo = Math.floor(alpha);
  const hi = Math.ceil(alpha);
  const cgf =
    lo === hi
      ? integerOrderCgfBound(q, sigma, alpha)
      : (hi - alpha) * integerOrderCgfBound(q, sigma, lo) + (alpha - lo) * integerOrderCgfBound(q, sigma, hi);
  return Math.min(cgf / (alpha - 1), fullBatch);
}

/** The Theorem 9 bound on (alpha-1) rdp(alpha) for an integer alpha >= 1. */
function integerOrderCgfBound(q: number, sigma: number, alpha: number): number {
  if (alpha === 1) return 0;
  const s2 = REPLACE_ONE_SENSITIVITY * REPLACE_ONE_SENSITIVITY;
  const baseRdp = (j: number): number => (j * s2) / (2 * sigma * sigma);
  const logQ = Math.log(q);
  const eps2 = baseRdp(2);
  // log min(4 (e^eps2 - 1), 2 e^eps2)
  const logMin2 = Math.min(Math.log(4) + Math.log(Math.expm1(eps2)), Math.log(2) + eps2);
  let logSum = 0; // the leading 1
  logSum = logAdd(logSum, 2 * logQ + logBinomial(alpha, 2) + logMin2);
  for (let j = 3; j <= alpha; j++) {
    logSum = logAdd(logSum, Math.log(2) + j * logQ + logBinomial(alpha, j) + (j - 1) * baseRdp(j));
  }
  return logSum;
}
