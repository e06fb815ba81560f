/**
 * A node's contribution to the statistics exchange (wire/statistics.ts):
 * exact sums over its training images, and - when the node trains with DP -
 * one Gaussian release of (count, sums, sums of squares) from the exact
 * mechanism of src/dp, charged to the node's ledger as a 'statistics'
 * release BEFORE anything is sent (a budget refusal stops it).
 *
 * Each image adds (1, mean_c..., meanSq_c...), every entry in [0, 1]: adding
 * or removing an image moves the vector by at most sqrt(1 + 2C) in L2, and
 * replacing one by at most sqrt(2C), so sqrt(1 + 2C) covers both.
 */
import { PrivmedError } from '../../common/errors.js';
import type { Dataset } from '../../data/dataset.js';
import { GaussianGridMechanism, planGaussianGrid } from '../../dp/index.js';
import { DEFAULT_STATISTICS_MECHANISM } from '../../dp/statistics.js';
import { MAX_STATISTICS_CHANNELS, type DatasetStatistics } from '../wire/statistics.js';
import { withNodeLedger, type NodePrivacyOptions } from './node-privacy.js';

/** The noise multiplier of the release: dp/statistics.ts's default, a small share of a DP-SGD budget. */
export const STATISTICS_NOISE_MULTIPLIER =
  DEFAULT_STATISTICS_MECHANISM.type === 'gaussian' ? DEFAULT_STATISTICS_MECHANISM.noiseMultiplier : 10;

export async function exactStatistics(ds: Dataset): Promise<DatasetStatistics> {
  const c = ds.info.channels;
  if (c > MAX_STATISTICS_CHANNELS) throw new PrivmedError(`statistics exchange: ${c} channels, at most ${MAX_STATISTICS_CHANNELS} supported`);
  if (ds.length === 0) throw new PrivmedError('statistics exchange: the training data is empty');
  const sum = new Array<number>(c).fill(0);
  const sumSquares = new Array<number>(c).fill(0);
  const s = new Float64Array(c);
  const q = new Float64Array(c);
  for (let i = 0; i < ds.length; i++) {
    const image = (await ds.get(i)).image;
    s.fill(0);
    q.fill(0);
    for (let k = 0; k < image.length; k++) {
      const v = Math.min(1, Math.max(0, image[k]!));
      s[k % c]! += v;
      q[k % c]! += v * v;
    }
    const pixels = image.length / c;
    for (let ch = 0; ch < c; ch++) {
      sum[ch]! += s[ch]! / pixels;
      sumSquares[ch]! += q[ch]! / pixels;
    }
  }
  return { count: ds.length, sum, sumSquares };
}

/** Adds the Gaussian noise after charging the node's ledger; post-processing keeps the result valid (count >= 1, sums in [0, count]). */
export function releaseStatistics(exact: DatasetStatistics, privacy: NodePrivacyOptions): DatasetStatistics {
  const c = exact.sum.length;
  const sensitivity = Math.sqrt(1 + 2 * c);
  const plan = planGaussianGrid(sensitivity, STATISTICS_NOISE_MULTIPLIER, 1 + 2 * c);
  withNodeLedger(privacy, (ledger) =>
    ledger.append({
      site: privacy.site,
      kind: 'statistics',
      mechanism: { type: 'gaussian', sensitivity, noiseStd: STATISTICS_NOISE_MULTIPLIER * sensitivity },
      note: 'federated normalisation: image count, per-channel sums and sums of squares',
    }),
  );
  const noisy = new GaussianGridMechanism(plan).release(Float64Array.from([exact.count, ...exact.sum, ...exact.sumSquares]));
  const count = Math.max(1, Math.round(noisy[0]!));
  const clamp = (x: number) => Math.min(count, Math.max(0, x));
  return {
    count,
    sum: Array.from({ length: c }, (_, ch) => clamp(noisy[1 + ch]!)),
    sumSquares: Array.from({ length: c }, (_, ch) => clamp(noisy[1 + c + ch]!)),
  };
}

/** What the node sends: exact without DP, one charged noisy release with it. */
export async function nodeStatistics(train: Dataset, privacy: NodePrivacyOptions | undefined): Promise<DatasetStatistics> {
  const exact = await exactStatistics(train);
  return privacy ? releaseStatistics(exact, privacy) : exact;
}
