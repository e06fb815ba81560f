/**
 * The exchange of dataset statistics before round 1 (PriMIA's normalisation):
 * each node reports its image count and, per channel, the sums over images of
 * the image's mean pixel and mean squared pixel (pixels clamped to [0, 1]).
 * Per-image means, not raw pixel sums: every image then moves each coordinate
 * by at most 1, which bounds the DP sensitivity, and with equal image sizes
 * sum / count is still the pixel mean.
 *
 *   task (coordinator -> node)                          reply (node -> coordinator)
 *   STEP stage statistics/plain                          metrics statCount, statChannels, statSum<c>, statSumSq<c>
 *   STEP stage statistics/secagg-setup  setup envelope   payload advertise-keys, then the secagg STEP stages
 * (each protocol declares its statistics stage in protocols/registry.ts).
 *
 * Under secure aggregation a node's vector is (mean_c..., meanSq_c..., channels / MAX) padded to
 * MAX_STATISTICS_CHANNELS channels, weighted by its count: the coordinator
 * learns only the sums. The global numbers go out with every fit and evaluate
 * task as text config keys (JavaScript's shortest round-trip form, exact).
 */
import { PrivmedError } from '../../common/errors.js';
import type { ChannelStats } from '../../data/preprocess/normalize.js';
import { channelStatsFromSums } from '../../dp/statistics/exact-sums.js';
import { MAX_STATISTICS_CHANNELS, type DatasetStatistics } from '../../dp/statistics/federated-statistics.js';

export { MAX_STATISTICS_CHANNELS, type DatasetStatistics };

export function checkStatistics(s: DatasetStatistics, who: string): void {
  const c = s.sum.length;
  if (!(Number.isSafeInteger(s.count) && s.count >= 1)) throw new PrivmedError(`${who}: image count ${s.count} is not a positive integer`);
  if (c < 1 || c > MAX_STATISTICS_CHANNELS || s.sumSquares.length !== c) {
    throw new PrivmedError(`${who}: ${c} channel sums and ${s.sumSquares.length} sums of squares (1 to ${MAX_STATISTICS_CHANNELS} channels)`);
  }
  for (const v of [...s.sum, ...s.sumSquares]) {
    if (!(v >= 0 && v <= s.count)) throw new PrivmedError(`${who}: a channel sum ${v} is outside [0, ${s.count}]`);
  }
}

/** Global mean and standard deviation from the summed statistics. */
export function normalisationOf(total: DatasetStatistics): ChannelStats {
  return channelStatsFromSums(total.count, total.sum, total.sumSquares);
}

const STAT_COUNT = 'statCount';
const STAT_CHANNELS = 'statChannels';

/** The plain reply's metrics. */
export function statisticsToMetrics(s: DatasetStatistics): Record<string, number> {
  const out: Record<string, number> = { [STAT_COUNT]: s.count, [STAT_CHANNELS]: s.sum.length };
  s.sum.forEach((v, c) => (out[`statSum${c}`] = v));
  s.sumSquares.forEach((v, c) => (out[`statSumSq${c}`] = v));
  return out;
}

export function statisticsFromMetrics(m: Readonly<Record<string, number>>, who: string): DatasetStatistics {
  const channels = m[STAT_CHANNELS];
  if (!(Number.isInteger(channels) && channels! >= 1 && channels! <= MAX_STATISTICS_CHANNELS)) throw new PrivmedError(`${who}: no valid statChannels in the reply`);
  const pick = (key: string) => Array.from({ length: channels! }, (_, c) => m[`${key}${c}`] ?? Number.NaN);
  const s = { count: m[STAT_COUNT] ?? Number.NaN, sum: pick('statSum'), sumSquares: pick('statSumSq') };
  checkStatistics(s, who);
  return s;
}

/** Length of the secure vector: per-channel mean and mean square, plus the channel count. */
export const STATISTICS_VECTOR_LENGTH = 2 * MAX_STATISTICS_CHANNELS + 1;

/** The values a node feeds into secure aggregation (weight: its count); all in [0, 1]. */
export function statisticsVector(s: DatasetStatistics): Float64Array {
  const v = new Float64Array(STATISTICS_VECTOR_LENGTH);
  s.sum.forEach((x, c) => (v[c] = x / s.count));
  s.sumSquares.forEach((x, c) => (v[MAX_STATISTICS_CHANNELS + c] = x / s.count));
  v[2 * MAX_STATISTICS_CHANNELS] = s.sum.length / MAX_STATISTICS_CHANNELS;
  return v;
}

/**
 * The totals from the securely aggregated sum. The channel coordinate averages
 * to channels / MAX when every node agrees; anything else means mixed data.
 */
export function statisticsFromSum(sum: ArrayLike<number>, weightSum: number, errorBound: number): DatasetStatistics {
  const average = (sum[2 * MAX_STATISTICS_CHANNELS]! / weightSum) * MAX_STATISTICS_CHANNELS;
  const channels = Math.round(average);
  if (!(Math.abs(average - channels) < 0.01 + errorBound && channels >= 1 && channels <= MAX_STATISTICS_CHANNELS)) {
    throw new PrivmedError(`the nodes' images do not have the same number of channels (average ${average.toFixed(3)})`);
  }
  const count = Math.round(weightSum);
  const clamp = (x: number) => Math.min(count, Math.max(0, x));
  return {
    count,
    sum: Array.from({ length: channels }, (_, c) => clamp(sum[c]!)),
    sumSquares: Array.from({ length: channels }, (_, c) => clamp(sum[MAX_STATISTICS_CHANNELS + c]!)),
  };
}
