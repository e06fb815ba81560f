/**
 * The one pass over a dataset that every statistics release starts from,
 * local or federated, with one rule for pixels: each is clamped to [0, 1] and
 * a NaN counts as 0. Every image then moves each per-image coordinate by at
 * most 1 whatever its file holds, which the DP sensitivity depends on; a NaN
 * left as NaN would poison the whole sum (and the noise would not hide it).
 */
import type { Dataset } from '../../data/dataset.js';
import type { ChannelStats } from '../../data/preprocess/normalize.js';

export interface ExactSums {
  /** Images. */
  readonly count: number;
  /** Per channel: the sum over images of the image's mean pixel. */
  readonly sum: Float64Array;
  /** Per channel: the sum over images of the image's mean squared pixel. */
  readonly sumSquares: Float64Array;
  /** Images per class (labels outside the class list are not counted). */
  readonly classCounts: Float64Array;
}

/** The pixel rule: [0, 1], NaN as 0. */
function clampPixel(v: number): number {
  return v > 0 ? Math.min(1, v) : 0;
}

/** Exact sums in float64; never released as they are. */
export async function exactSums(ds: Dataset): Promise<ExactSums> {
  const channels = ds.info.channels;
  const classes = ds.info.classes.length;
  const sum = new Float64Array(channels);
  const sumSquares = new Float64Array(channels);
  const classCounts = new Float64Array(classes);
  const s = new Float64Array(channels);
  const q = new Float64Array(channels);
  for (let i = 0; i < ds.length; i++) {
    const { image, label } = await ds.get(i);
    s.fill(0);
    q.fill(0);
    for (let p = 0; p < image.length; p++) {
      const v = clampPixel(image[p]!);
      s[p % channels]! += v;
      q[p % channels]! += v * v;
    }
    const pixelsPerChannel = image.length / channels;
    for (let c = 0; c < channels; c++) {
      sum[c]! += s[c]! / pixelsPerChannel;
      sumSquares[c]! += q[c]! / pixelsPerChannel;
    }
    if (Number.isInteger(label) && label >= 0 && label < classes) classCounts[label]! += 1;
  }
  return { count: ds.length, sum, sumSquares, classCounts };
}

/** Standard deviations are floored at one 8-bit grey level, so noise cannot make normalisation blow up. */
const MIN_STD = 1 / 255;

/** Per-channel mean and standard deviation from (possibly noisy) sums over `count` images, clamped to what pixels in [0, 1] allow. */
export function channelStatsFromSums(count: number, sum: ArrayLike<number>, sumSquares: ArrayLike<number>): ChannelStats {
  const mean: number[] = [];
  const std: number[] = [];
  for (let c = 0; c < sum.length; c++) {
    const m = Math.min(1, Math.max(0, sum[c]! / count));
    const square = Math.min(1, Math.max(0, sumSquares[c]! / count));
    mean.push(m);
    std.push(Math.max(MIN_STD, Math.sqrt(Math.max(0, square - m * m))));
  }
  return { mean, std };
}

/**
 * Channels whose standard deviation ended at the floor: with DP noise on few
 * images the noisy mean square can fall below the squared mean, and the
 * "std" is then the floor, not a measurement. Callers warn.
 */
export function flooredChannels(stats: ChannelStats): number[] {
  return stats.std.flatMap((s, c) => (s <= MIN_STD ? [c] : []));
}

export function flooredWarning(stats: ChannelStats, what: string): string | null {
  const floored = flooredChannels(stats);
  if (floored.length === 0) return null;
  return (
    `${what}: the standard deviation of channel ${floored.join(', ')} is at its floor (1/255), not a measurement; ` +
    'the DP noise is large against the number of images (too few per site); normalisation will amplify noise. ' +
    'Use more images per site, fewer sites, or exchange statistics without DP'
  );
}
