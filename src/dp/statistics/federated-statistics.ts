/**
 * A site's contribution to the federated normalisation (PriMIA's exchange of
 * dataset statistics): its image count and, per channel, the sums over images
 * of the mean pixel and mean squared pixel; exact, or as one Gaussian release.
 *
 * Each image adds (1, mean_c..., meanSq_c...), every entry in [0, 1]: adding
 * or removing an image moves the vector by at most sqrt(1 + 2C) in L2, and
 * replacing one by at most sqrt(2C), so sqrt(1 + 2C) covers both.
 */
import { PrivmedError } from '../../common/errors.js';
import type { Dataset } from '../../data/dataset.js';
import type { ReleaseMechanism } from '../../accounting/index.js';
import { GaussianGridMechanism, planGaussianGrid } from '../mechanisms/grid-gaussian.js';
import { DEFAULT_STATISTICS_MECHANISM } from './dataset-statistics.js';
import { exactSums } from './exact-sums.js';

/** Grey, RGB and RGBA images; a secure aggregation vector needs a length known in advance. */
export const MAX_STATISTICS_CHANNELS = 4;

/** What a site contributes (after its DP noise, if any). */
export interface DatasetStatistics {
  /** Images (a positive integer). */
  count: number;
  /** Per channel: the sum over images of the image's mean pixel. */
  sum: number[];
  /** Per channel: the sum over images of the image's mean squared pixel. */
  sumSquares: number[];
}

/** The noise multiplier of the release: the local statistics' default, a small share of a DP-SGD budget. */
export const STATISTICS_NOISE_MULTIPLIER =
  DEFAULT_STATISTICS_MECHANISM.type === 'gaussian' ? DEFAULT_STATISTICS_MECHANISM.noiseMultiplier : 10;

export async function exactStatistics(ds: Dataset): Promise<DatasetStatistics> {
  const c = ds.info.channels;
  if (c > MAX_STATISTICS_CHANNELS) throw new PrivmedError(`statistics exchange: ${c} channels, at most ${MAX_STATISTICS_CHANNELS} supported`);
  if (ds.length === 0) throw new PrivmedError('statistics exchange: the training data is empty');
  const s = await exactSums(ds);
  return { count: s.count, sum: [...s.sum], sumSquares: [...s.sumSquares] };
}

/**
 * Adds Gaussian noise after `charge` has put the release on the ledger (a
 * refusal there stops it); post-processing keeps the result valid
 * (count >= 1, sums in [0, count]).
 */
export function releaseStatistics(
  exact: DatasetStatistics,
  charge: (mechanism: ReleaseMechanism) => void,
  noiseMultiplier = STATISTICS_NOISE_MULTIPLIER,
): DatasetStatistics {
  const c = exact.sum.length;
  const sensitivity = Math.sqrt(1 + 2 * c);
  const plan = planGaussianGrid(sensitivity, noiseMultiplier, 1 + 2 * c);
  charge({ type: 'gaussian', sensitivity, noiseStd: noiseMultiplier * sensitivity });
  const noisy = new GaussianGridMechanism(plan).release(Float64Array.from([exact.count, ...exact.sum, ...exact.sumSquares]));
  const count = Math.max(1, Math.round(noisy[0]!));
  const clamp = (x: number) => Math.min(count, Math.max(0, x));
  return {
    count,
    sum: Array.from({ length: c }, (_, ch) => clamp(noisy[1 + ch]!)),
    sumSquares: Array.from({ length: c }, (_, ch) => clamp(noisy[1 + c + ch]!)),
  };
}
