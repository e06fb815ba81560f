import { normalCdf, normalSf } from '../../../src/accounting/normal.js';

/**
 * The exact delta(eps) of ONE step of the Poisson-subsampled Gaussian under
 * add/remove neighbours, from closed-form hockey-stick divergences of
 * P = (1-q) N(0, s^2) + q N(1, s^2) and Q = N(0, s^2) in both directions
 * (the privacy loss is monotone in the output, so each tail is one threshold).
 */
export function oneStepDelta(q: number, s: number, eps: number): number {
  // remove: D(P || Q); loss > eps  <=>  y > yStar
  const yStar = s * s * Math.log((Math.exp(eps) - (1 - q)) / q) + 0.5;
  const remove = (1 - q) * normalSf(yStar / s) + q * normalSf((yStar - 1) / s) - Math.exp(eps) * normalSf(yStar / s);
  // add: D(Q || P); loss > eps  <=>  y < yDash, possible only while e^-eps > 1 - q
  let add = 0;
  if (Math.exp(-eps) > 1 - q) {
    const yDash = s * s * Math.log((Math.exp(-eps) - (1 - q)) / q) + 0.5;
    add = normalCdf(yDash / s) - Math.exp(eps) * ((1 - q) * normalCdf(yDash / s) + q * normalCdf((yDash - 1) / s));
  }
  return Math.max(remove, add, 0);
}

/** The smallest eps >= 0 with oneStepDelta <= delta, by bisection. */
export function oneStepEpsilon(q: number, s: number, delta: number): number {
  if (oneStepDelta(q, s, 0) <= delta) return 0;
  let lo = 0;
  let hi = 1;
  while (oneStepDelta(q, s, hi) > delta) hi *= 2;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (oneStepDelta(q, s, mid) > delta) lo = mid;
    else hi = mid;
  }
  return hi;
}
