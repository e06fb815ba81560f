/**
 * Dataset statistics released with differential privacy: per-channel mean and
 * standard deviation (for input normalisation) and class counts (for class
 * weights), all in ONE noisy release charged to the privacy ledger.
 *
 * Every pixel is clamped to [0, 1]. Each image contributes the vector
 * (per-channel mean pixel, per-channel mean squared pixel, one-hot class),
 * whose entries lie in [0, 1]; adding or removing an image moves the sum by at
 * most sqrt(2C + 1) in L2 (2C + 1 in L1), replacing one by sqrt(2C + 2)
 * (2C + 2). The dataset size is treated as public, as DP-SGD's sample rate
 * batchSize / n does (and Opacus).
 */
import { PrivmedError } from '../common/errors.js';
import type { Dataset } from '../data/dataset.js';
import type { ChannelStats } from '../data/preprocess/normalize.js';
import type { LedgerEntry, PrivacyLedger, ReleaseMechanism } from '../accounting/index.js';
import { chargeOnce } from './ledger-charges.js';
import { GaussianGridMechanism, planGaussianGrid } from './grid-gaussian.js';
import { LaplaceGridMechanism, planLaplaceGrid } from './grid-laplace.js';

/** Neighbouring datasets: add/remove one record (Poisson DP-SGD) or replace one (fixed-size batches). */
export type Neighbouring = 'add-remove' | 'replace';

export type StatisticsMechanism =
  /** Gaussian noise of std noiseMultiplier * L2 sensitivity; composes tightly with DP-SGD. */
  | { readonly type: 'gaussian'; readonly noiseMultiplier: number }
  /** Laplace noise for pure epsilon-DP. */
  | { readonly type: 'laplace'; readonly epsilon: number };

/** Default: Gaussian with noise multiplier 10, a small share of a typical DP-SGD budget (see the report in docs). */
export const DEFAULT_STATISTICS_MECHANISM: StatisticsMechanism = { type: 'gaussian', noiseMultiplier: 10 };

/** Standard deviations are floored at one 8-bit grey level, so noise cannot make normalisation blow up. */
const MIN_STD = 1 / 255;

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
  const released = noisy(await exactSums(ds));
  const mean: number[] = [];
  const std: number[] = [];
  for (let c = 0; c < channels; c++) {
    const m = Math.min(1, Math.max(0, released[c]! / n));
    const square = Math.min(1, Math.max(0, released[channels + c]! / n));
    mean.push(m);
    std.push(Math.max(MIN_STD, Math.sqrt(Math.max(0, square - m * m))));
  }
  const classCounts = Array.from({ length: classes }, (_, k) => Math.max(1, Math.round(released[2 * channels + k]!)));
  return { mean, std, classCounts, entry };
}

/** The sums of the per-image vectors, in float64 (never released as they are). */
async function exactSums(ds: Dataset): Promise<Float64Array> {
  const channels = ds.info.channels;
  const classes = ds.info.classes.length;
  const sum = new Float64Array(2 * channels + classes);
  const perImage = new Float64Array(2 * channels);
  for (let i = 0; i < ds.length; i++) {
    const { image, label } = await ds.get(i);
    perImage.fill(0);
    for (let p = 0; p < image.length; p++) {
      const raw = image[p]!;
      const v = raw > 0 ? Math.min(1, raw) : 0; // clamps NaN to 0 too
      const c = p % channels;
      perImage[c]! += v;
      perImage[channels + c]! += v * v;
    }
    const pixelsPerChannel = image.length / channels;
    for (let k = 0; k < 2 * channels; k++) sum[k]! += perImage[k]! / pixelsPerChannel;
    if (Number.isInteger(label) && label >= 0 && label < classes) sum[2 * channels + label]! += 1;
  }
  return sum;
}
