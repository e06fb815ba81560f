import { composeReleases, type AccountantName, type ReleaseMechanism } from '../../accounting/index.js';
import { PrivmedError } from '../../common/errors.js';

/** Above this no useful model comes out (the accounting module's limit too). */
const MAX_NOISE_MULTIPLIER = 1e6;

export interface RemainingCalibration {
  /** What the site has already spent (ledger entries, e.g. the statistics release). */
  readonly past: readonly ReleaseMechanism[];
  /** The whole DP-SGD run as one mechanism for a given noise multiplier. */
  readonly training: (noiseMultiplier: number) => ReleaseMechanism;
  readonly targetEpsilon: number;
  readonly delta: number;
  readonly accountant: AccountantName;
  /** Stop once epsilon is within this much below the target; default 0.01. */
  readonly tolerance?: number;
}

/**
 * The smallest noise multiplier (to the search's resolution) for which the
 * site's past releases plus the whole training run stay within the target:
 * calibrateNoise's search (double a bracket, then bisect), with the past
 * composed in. The answer always meets the target.
 */
export function calibrateRemaining(c: RemainingCalibration): { noiseMultiplier: number; epsilon: number } {
  const tolerance = c.tolerance ?? 0.01;
  const epsilonAt = (sigma: number): number => composeReleases([...c.past, c.training(sigma)], c.delta, c.accountant).epsilon;
  let low = 0;
  let high = 10;
  let epsHigh = Infinity;
  while (epsHigh > c.targetEpsilon) {
    high *= 2;
    if (high > MAX_NOISE_MULTIPLIER) {
      const spent = c.past.length ? composeReleases(c.past, c.delta, c.accountant).epsilon : 0;
      throw new PrivmedError(
        `no noise multiplier reaches epsilon ${c.targetEpsilon} at delta ${c.delta}` + (spent > 0 ? ` (epsilon ${Number(spent.toPrecision(4))} is already spent on this dataset)` : ''),
        { hint: 'train fewer epochs, use a smaller batch, or raise the budget' },
      );
    }
    epsHigh = epsilonAt(high);
  }
  while (c.targetEpsilon - epsHigh > tolerance) {
    const mid = (low + high) / 2;
    const eps = epsilonAt(mid);
    if (eps <= c.targetEpsilon) {
      high = mid;
      epsHigh = eps;
    } else low = mid;
    if (high - low < 1e-9 * high) break;
  }
  return { noiseMultiplier: high, epsilon: epsHigh };
}
