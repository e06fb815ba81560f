/** Per-channel intensity statistics and the normalisation transform built from them. */
import type { Dataset, Sample, Transform } from './dataset.js';

export interface ChannelStats {
  mean: number[];
  std: number[];
}

/** Exact per-channel mean/std over a dataset (non-private; DP releases live in src/dp). */
export async function channelStats(ds: Dataset): Promise<ChannelStats> {
  const c = ds.info.channels;
  const sum = new Float64Array(c);
  const sq = new Float64Array(c);
  let count = 0;
  for (let i = 0; i < ds.length; i++) {
    const { image } = await ds.get(i);
    for (let p = 0; p < image.length; p++) {
      const v = image[p]!;
      sum[p % c]! += v;
      sq[p % c]! += v * v;
    }
    count += image.length / c;
  }
  const mean = Array.from(sum, (s) => s / count);
  const std = Array.from(sq, (s, k) => Math.sqrt(Math.max(s / count - mean[k]! ** 2, 1e-12)));
  return { mean, std };
}

export function normaliseTransform(stats: ChannelStats): Transform {
  const c = stats.mean.length;
  return (s: Sample): Sample => {
    const out = new Float32Array(s.image.length);
    for (let p = 0; p < out.length; p++) out[p] = (s.image[p]! - stats.mean[p % c]!) / stats.std[p % c]!;
    return { image: out, label: s.label };
  };
}
