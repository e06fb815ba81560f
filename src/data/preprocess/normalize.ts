/**
 * Intensity normalisation with dataset statistics: (x - mean_c) / std_c per
 * channel. The statistics are computed once on the training data and stored
 * in the PreprocessingSpec, so that inference uses the same numbers.
 */
import { PrivmedError } from '../../common/errors.js';
import type { Dataset, Sample, Transform } from '../dataset.js';

export interface ChannelStats {
  mean: number[];
  std: number[];
}

export function normalizeInPlace(data: Float32Array, channels: number, stats: ChannelStats): Float32Array {
  if (stats.mean.length !== channels || stats.std.length !== channels) throw new PrivmedError(`normalisation has ${stats.mean.length} mean(s) and ${stats.std.length} std(s) for ${channels} channel(s)`);
  const inv = stats.std.map((s) => (s > 0 ? 1 / s : 1));
  for (let i = 0; i < data.length; i++) {
    const c = i % channels;
    data[i] = (data[i]! - stats.mean[c]!) * inv[c]!;
  }
  return data;
}

/**
 * Per-channel mean and standard deviation over (up to `maxItems` of) a
 * dataset, accumulated in float64; unreadable items are skipped and reported.
 */
export async function datasetStats(ds: Dataset, opts: { maxItems?: number; onSkip?: (i: number, e: Error) => void } = {}): Promise<ChannelStats> {
  const c = ds.info.channels;
  const sum = new Float64Array(c);
  const sq = new Float64Array(c);
  let n = 0;
  const items = Math.min(ds.length, opts.maxItems ?? ds.length);
  for (let i = 0; i < items; i++) {
    let img: Float32Array;
    try {
      img = (await ds.get(i)).image;
    } catch (err) {
      if (!(err instanceof Error)) throw err;
      opts.onSkip?.(i, err);
      continue;
    }
    for (let k = 0; k < img.length; k++) {
      const v = img[k]!;
      sum[k % c]! += v;
      sq[k % c]! += v * v;
    }
    n += img.length / c;
  }
  if (n === 0) throw new PrivmedError('cannot compute normalisation statistics: no readable items');
  const mean = Array.from(sum, (s) => s / n);
  const std = Array.from(sq, (s, k) => Math.sqrt(Math.max(0, s / n - mean[k]! ** 2)));
  return { mean, std };
}

/** The per-sample transform (x - mean) / std, on a copy of the image. */
export function normaliseTransform(stats: ChannelStats): Transform {
  const channels = stats.mean.length;
  // Spread: a segmentation sample keeps its mask and case.
  return (s: Sample): Sample => ({ ...s, image: normalizeInPlace(Float32Array.from(s.image), channels, stats) });
}
