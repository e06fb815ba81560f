/**
 * How much of a site's budget the dataset-statistics release may take. With
 * a fixed noise multiplier of 10 that release costs epsilon ~0.38 at delta
 * 1e-5: harmless at epsilon 8, but over a third of a budget of 1. When a
 * budget is set the noise is raised until the release costs at most
 * privacy.statisticsShare of it (never below the default noise).
 */
import { composeReleases, type AccountantName } from '../../accounting/index.js';
import { PrivmedError } from '../../common/errors.js';
import type { PrivacyConfig } from '../privacy-config.js';
import { DEFAULT_STATISTICS_MECHANISM } from './dataset-statistics.js';

const BASE = DEFAULT_STATISTICS_MECHANISM.type === 'gaussian' ? DEFAULT_STATISTICS_MECHANISM.noiseMultiplier : 10;

/** Epsilon at delta of one Gaussian release with this noise multiplier (sensitivity 1). */
export function gaussianReleaseEpsilon(noiseMultiplier: number, delta: number, accountant: AccountantName): number {
  return composeReleases([{ type: 'gaussian', sensitivity: 1, noiseStd: noiseMultiplier }], delta, accountant).epsilon;
}

/**
 * Sized with the PRV accountant whatever the ledger uses: RDP's conversion
 * has a floor near epsilon 0.1 for one release at delta 1e-5 that more noise
 * cannot lower, while the release's actual share of the composed cost keeps
 * shrinking with the noise. The ledger still charges the real mechanism.
 */
export function statisticsNoiseMultiplier(p: Pick<PrivacyConfig, 'targetEpsilon' | 'delta' | 'statisticsShare'>): number {
  if (p.targetEpsilon === undefined) return BASE;
  const allowed = p.statisticsShare * p.targetEpsilon;
  const epsilonAt = (sigma: number) => gaussianReleaseEpsilon(sigma, p.delta, 'prv');
  if (epsilonAt(BASE) <= allowed) return BASE;
  let low = BASE;
  let high = BASE * 2;
  while (epsilonAt(high) > allowed) {
    low = high;
    high *= 2;
    if (high > 1e5) throw new PrivmedError(`privacy.statisticsShare: no statistics noise fits ${p.statisticsShare} of epsilon ${p.targetEpsilon}`, { hint: 'raise statisticsShare or targetEpsilon' });
  }
  // To 2% and rounded up to 3 significant digits: each accountant call takes ~0.1 s, and the logs show a readable number.
  for (let i = 0; i < 12 && high - low > 0.02 * high; i++) {
    const mid = (low + high) / 2;
    if (epsilonAt(mid) <= allowed) high = mid;
    else low = mid;
  }
  const scale = 10 ** (Math.floor(Math.log10(high)) - 2);
  return Math.ceil(high / scale) * scale;
}
