import { ComposingAccountant, type EpsilonReport } from './accountant.js';
import type { MechanismEvent } from './events.js';
import { logNormalCdf, normalCdf } from './normal.js';

/**
 * Gaussian differential privacy (Dong, Roth & Su 2019; Bu, Dong, Long & Su
 * 2020, "Deep learning with Gaussian differential privacy").
 *
 * A full-batch Gaussian mechanism with noise multiplier sigma is exactly
 * (1/sigma)-GDP, and mu-GDP mechanisms compose to sqrt(sum mu_i^2)-GDP. For
 * SUBSAMPLED Gaussians there is no exact mu; the central limit theorem gives
 * one as the number of steps grows (the formulas below). That mu is an
 * APPROXIMATION and can under-estimate epsilon (Gopi, Lee & Wutschitz 2021
 * show cases), which is why every GDP result is labelled 'CLT'.
 */

/** Poisson sampling, CLT: mu = q sqrt(T (exp(1/sigma^2) - 1)) (Bu et al. 2020, Opacus). */
export function poissonCltMu(event: MechanismEvent): number {
  const { noiseMultiplier: sigma, sampleRate: q, steps } = event;
  return q * Math.sqrt(steps * Math.expm1(1 / (sigma * sigma)));
}

/**
 * Uniform fixed-size sampling, CLT (Bu et al. 2020; what deepee, TF-Privacy and
 * Opacus compute for shuffled batches):
 *   mu = sqrt(2) q sqrt(T (exp(1/sigma^2) Phi(1.5/sigma) + 3 Phi(-0.5/sigma) - 2))
 */
export function uniformCltMu(event: MechanismEvent): number {
  const { noiseMultiplier: sigma, sampleRate: q, steps } = event;
  const inner = Math.exp(1 / (sigma * sigma)) * normalCdf(1.5 / sigma) + 3 * normalCdf(-0.5 / sigma) - 2;
  return Math.SQRT2 * q * Math.sqrt(steps * inner);
}

/** mu of one event: exact for full-batch Gaussians, the CLT otherwise. */
export function eventMu(event: MechanismEvent): { mu: number; exact: boolean } {
  if (event.sampleRate === 1) return { mu: Math.sqrt(event.steps) / event.noiseMultiplier, exact: true };
  return { mu: event.sampling === 'poisson' ? poissonCltMu(event) : uniformCltMu(event), exact: false };
}

/**
 * The exact privacy profile of mu-GDP (Dong, Roth & Su 2019, Corollary 2.13):
 *   delta(eps) = Phi(-eps/mu + mu/2) - exp(eps) Phi(-eps/mu - mu/2),
 * computed as Phi(a) (1 - exp(eps + log Phi(b) - log Phi(a))) so that tiny
 * deltas keep their relative precision.
 */
export function gdpDelta(epsilon: number, mu: number): number {
  if (mu === 0) return 0;
  const logA = logNormalCdf(-epsilon / mu + mu / 2);
  const logB = epsilon + logNormalCdf(-epsilon / mu - mu / 2);
  return logB >= logA ? 0 : -Math.exp(logA) * Math.expm1(logB - logA);
}

/** The smallest epsilon >= 0 with gdpDelta(epsilon, mu) <= delta (bisection in log delta). */
export function gdpEpsilon(mu: number, delta: number): number {
  if (mu === 0 || gdpDelta(0, mu) <= delta) return 0;
  if (mu === Infinity) return Infinity;
  const logTarget = Math.log(delta);
  const logDelta = (eps: number): number => Math.log(gdpDelta(eps, mu));
  let lo = 0;
  let hi = 1;
  while (logDelta(hi) > logTarget) {
    lo = hi;
    hi *= 2;
    if (hi > 1e6) return Infinity;
  }
  for (let i = 0; i < 200 && hi - lo > 1e-13 * Math.max(1, hi); i++) {
    const mid = (lo + hi) / 2;
    if (logDelta(mid) > logTarget) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** The mu of a whole history: mu-GDP composes as the root of the sum of squares. */
export function historyMu(events: readonly MechanismEvent[]): { mu: number; exact: boolean } {
  let sumSquares = 0;
  let exact = true;
  for (const event of events) {
    const { mu, exact: e } = eventMu(event);
    sumSquares += mu * mu;
    exact &&= e;
  }
  return { mu: Math.sqrt(sumSquares), exact };
}

/**
 * GDP accountant. Fast and often tighter than RDP, but for subsampled
 * mechanisms its epsilon is a central-limit APPROXIMATION, not a bound; use it
 * to explore, and the RDP or PRV accountant for what a data protection officer
 * signs off.
 */
export class GdpAccountant extends ComposingAccountant {
  readonly name = 'gdp' as const;

  protected report(events: readonly MechanismEvent[], delta: number): EpsilonReport {
    const { mu, exact } = historyMu(events);
    return { accountant: 'gdp', approximation: exact ? 'exact' : 'CLT', epsilon: gdpEpsilon(mu, delta), delta, mu };
  }
}
