/**
 * Dataset statistics released with differential privacy: per-channel mean and
 * standard deviation (for input normalisation) and class counts (for class
 * weights), all in ONE noisy release charged to the privacy ledger.
 *
 * Every pixel is clamped to [0, 1], NaN as 0 (exact-sums.ts). Each image contributes the vector
 * (per-channel mean pixel, per-channel mean squared pixel, one-hot class),
 * whose entries lie in [0, 1]; adding or removing an image moves the sum by at
 * most sqrt(2C + 1) in L2 (2C + 1 in L1), replacing one by sqrt(2C + 2)
 * (2C + 2). The dataset size is treated as public, as DP-SGD's sample rate
 * batchSize / n does (and Opacus).
 */
import { PrivmedError } from '../../common/errors.js';
import type { Dataset } from '../../data/dataset.js';
import type { ChannelStats } from '../../data/preprocess/normalize.js';
import type { LedgerEntry, PrivacyLedger, ReleaseMechanism } from '../../accounting/index.js';
import { chargeOnce } from '../ledger-charges.js';
import { channelStatsFromSums, exactSums } from './exact-sums.js';
import { GaussianGridMechanism, planGaussianGrid } from '../mechanisms/grid-gaussian.js';
import { LaplaceGridMechanism, planLaplaceGrid } from '../mechanisms/grid-laplace.js';

/** Neighbouring datasets: add/remove one record (Poisson DP-SGD) or replace one (fixed-size batches). */
export type Neighbouring = 'add-remove' | 'replace';

export type StatisticsMechanism =
  /** Gaussian noise of std noiseMultiplier * L2 sensitivity; composes tightly with DP-SGD. */
  | { readonly type: 'gaussian'; readonly noiseMultiplier: number }
  /** Laplace noise for pure epsilon-DP. */
  | { readonly type: 'laplace'; readonly epsilon: number };

/** Default: Gaussian with noise multiplier 10, a small share of a typical DP-SGD budget (see the report in docs). */
export const DEFAULT_STATISTICS_MECHANISM: StatisticsMechanism = { type: 'gaussian', noiseMultiplier: 10 };

export interface DpStatisticsOptions {
  readonly ledger: PrivacyLedger;
  readonly site: string;
  readonly mechanism?: StatisticsMechanism;
  readonly neighbouring?: Neighbouring;
  /** The ledger note; with reuseCharge, an identical earlier charge (same note and mechanism) is reused. */
  readonly note?: string;
  readonly reuseCharge?: boolean;
}

export interface DpStatistics extends ChannelStats {
  /** Noisy class counts, rounded and at least 1. */
  readonly classCounts: number[];
  readonly entry: LedgerEntry;
}

export async function dpDatasetStatistics(ds: Dataset, o: DpStatisticsOptions): Promise<DpStatistics> {
  const channels = ds.info.channels;
  const classes = ds.info.classes.length;
  const n = ds.length;
  if (n === 0) throw new PrivmedError('DP statistics: the dataset is empty');
  const mechanism = o.mechanism ?? DEFAULT_STATISTICS_MECHANISM;
  const replace = (o.neighbouring ?? 'add-remove') === 'replace';
  const dims = 2 * channels + classes;
  const l2 = Math.sqrt(2 * channels + (replace ? 2 : 1));
  const l1 = 2 * channels + (replace ? 2 : 1);
  let release: ReleaseMechanism;
  let noisy: (sum: Float64Array) => Float64Array;
  if (mechanism.type === 'gaussian') {
    const plan = planGaussianGrid(l2, mechanism.noiseMultiplier, dims);
    release = { type: 'gaussian', sensitivity: l2, noiseStd: mechanism.noiseMultiplier * l2 };
    noisy = (sum) => new GaussianGridMechanism(plan).release(sum);
  } else if (mechanism.type === 'laplace') {
    if (!(mechanism.epsilon > 0 && Number.isFinite(mechanism.epsilon))) throw new PrivmedError(`DP statistics: epsilon must be a finite number > 0, got ${mechanism.epsilon}`);
    const plan = planLaplaceGrid(l1, l1 / mechanism.epsilon, dims);
    release = { type: 'laplace', sensitivity: l1, noiseScale: plan.noiseScale };
    noisy = (sum) => new LaplaceGridMechanism(plan).release(sum);
  } else {
    throw new PrivmedError(`DP statistics: unknown mechanism '${String((mechanism as { type: unknown }).type)}'`, { hint: "use 'gaussian' or 'laplace'" });
  }
  // Charge first: if the budget refuses, nothing has been computed.
  const { entry } = chargeOnce(o.ledger, { site: o.site, kind: 'statistics', mechanism: release, note: o.note ?? 'dataset mean, std and class counts' }, o.reuseCharge ?? false);
  const exact = await exactSums(ds);
  const released = noisy(Float64Array.from([...exact.sum, ...exact.sumSquares, ...exact.classCounts]));
  const { mean, std } = channelStatsFromSums(n, released.subarray(0, channels), released.subarray(channels, 2 * channels));
  const classCounts = Array.from({ length: classes }, (_, k) => Math.max(1, Math.round(released[2 * channels + k]!)));
  return { mean, std, classCounts, entry };
}
