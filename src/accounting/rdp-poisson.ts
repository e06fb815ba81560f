import { GeneralisedBinomials, logAdd, logBinomial, logSub } from './logspace.js';
import { logNormalCdf } from './normal.js';

/**
 * RDP of one step of the Poisson-subsampled Gaussian mechanism (the sampled
 * Gaussian mechanism, SGM) at order alpha > 1, for sample rate q and noise
 * multiplier sigma:
 *
 *   rdp(alpha) = log(A_alpha) / (alpha - 1),
 *   A_alpha = E_{z ~ N(0, sigma^2)} [ ((1 - q) + q * exp((2z - 1) / (2 sigma^2)))^alpha ]
 *
 * computed as in Mironov, Talwar & Zhang 2019, "Renyi Differential Privacy of
 * the Sampled Gaussian Mechanism", Section 3.3 (the analysis behind Opacus and
 * TF-Privacy): a finite binomial sum for integer alpha, and for fractional alpha
 * an infinite series split at z0 whose terms carry Gaussian tail factors. Every
 * term is kept in log space, so orders up to the hundreds and small sigma do
 * not overflow.
 */
export function poissonGaussianRdp(q: number, sigma: number, alpha: number): number {
  if (!(alpha > 1)) throw new RangeError(`RDP order must be > 1, got ${alpha}`);
  if (q === 0) return 0;
  if (sigma === 0) return Infinity;
  if (q === 1) return alpha / (2 * sigma * sigma);
  if (alpha === Infinity) return Infinity;
  const logA = Number.isInteger(alpha) ? logAIntegerOrder(q, sigma, alpha) : logAFractionalOrder(q, sigma, alpha);
  return logA / (alpha - 1);
}

/** A_alpha = sum_i C(alpha, i) q^i (1-q)^(alpha-i) exp((i^2 - i) / (2 sigma^2)). */
function logAIntegerOrder(q: number, sigma: number, alpha: number): number {
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  let logA = -Infinity;
  for (let i = 0; i <= alpha; i++) {
    const term = logBinomial(alpha, i) + i * logQ + (alpha - i) * log1mQ + (i * i - i) / (2 * sigma * sigma);
    logA = logAdd(logA, term);
  }
  return logA;
}

/**
 * Fractional alpha: A_alpha = A0 + A1, the integral over z < z0 and z >= z0
 * with z0 = sigma^2 log(1/q - 1) + 1/2, each expanded as a binomial series whose
 * terms carry Gaussian CDF factors; the series is summed until the terms fall
 * below exp(-30) of unity (they decay super-exponentially).
 */
export function logAFractionalOrder(q: number, sigma: number, alpha: number, maxTerms = 100_000): number {
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const twoSigma2 = 2 * sigma * sigma;
  const z0 = sigma * sigma * Math.log(1 / q - 1) + 0.5;
  const binomials = new GeneralisedBinomials(alpha);
  let logA0 = -Infinity;
  let logA1 = -Infinity;
  for (let i = 0; ; i++) {
    const { logAbs, sign } = binomials.next();
    const j = alpha - i;
    const logT0 = logAbs + i * logQ + j * log1mQ;
    const logT1 = logAbs + j * logQ + i * log1mQ;
    // log(0.5 * erfc((i - z0) / (sqrt(2) sigma))) = log Phi((z0 - i) / sigma)
    const logE0 = logNormalCdf((z0 - i) / sigma);
    const logE1 = logNormalCdf((j - z0) / sigma);
    const logS0 = logT0 + (i * i - i) / twoSigma2 + logE0;
    const logS1 = logT1 + (j * j - j) / twoSigma2 + logE1;
    if (sign > 0) {
      logA0 = logAdd(logA0, logS0);
      logA1 = logAdd(logA1, logS1);
    } else {
      logA0 = logSub(logA0, logS0);
      logA1 = logSub(logA1, logS1);
    }
    if (Math.max(logS0, logS1) < -30) break;
    // No convergence: this order bounds nothing. Infinity is sound (the accountant
    // takes the minimum over orders) where an exception ended whole runs.
    if (i >= maxTerms) return Infinity;
  }
  return logAdd(logA0, logA1);
}
