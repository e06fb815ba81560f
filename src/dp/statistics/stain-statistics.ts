/**
 * A federation's stain reference (Reinhard) from every site's tiles, released
 * like the dataset statistics: each site sums, over its tiles with tissue, the
 * tile's CIELAB tissue mean and standard deviation, each mapped to [0, 1]
 * through fixed bounds; adds Gaussian noise after charging its ledger; the
 * coordinator learns only the sum over sites (secure aggregation of
 * `stainVector`, weighted by the tile count), and the reference is the mean
 * tile statistics, `stainReferenceFromSum`.
 *
 * One tile adds (1, six coordinates in [0, 1]) to the site's sums: adding or
 * removing a tile moves them by at most sqrt(7) in L2.
 */
import { PrivmedError } from '../../common/errors.js';
import type { Dataset } from '../../data/dataset.js';
import { reinhardStats, type ReinhardStats } from '../../data/stain/reinhard.js';
import type { ReleaseMechanism } from '../../accounting/index.js';
import { GaussianGridMechanism, planGaussianGrid } from '../mechanisms/grid-gaussian.js';
import type { DatasetStatistics } from './federated-statistics.js';

/** Bounds of L*, a*, b* means and of their standard deviations (values outside are clamped). */
const MEAN_LO = [0, -128, -128];
const MEAN_HI = [100, 128, 128];
const STD_HI = [50, 64, 64];

export const STAIN_VECTOR_LENGTH = 6;

/** A site's sums: tiles with tissue, and per coordinate (L, a, b means, then L, a, b stds in [0, 1]) the sum over tiles. */
export interface StainStatistics {
  count: number;
  sums: number[];
}

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

/** One tile's statistics as six coordinates in [0, 1]. */
export function stainCoordinates(s: ReinhardStats): number[] {
  return [
    ...s.mean.map((m, c) => clamp01((m - MEAN_LO[c]!) / (MEAN_HI[c]! - MEAN_LO[c]!))),
    ...s.std.map((d, c) => clamp01(d / STD_HI[c]!)),
  ];
}

/** The exact sums over a dataset of RGB tiles in [0, 1] (tiles of empty glass are skipped: they have no stain). */
export async function exactStainStatistics(ds: Dataset): Promise<StainStatistics> {
  if (ds.info.channels !== 3) throw new PrivmedError(`stain statistics: RGB tiles expected, the dataset has ${ds.info.channels} channel(s)`);
  const sums = new Array<number>(STAIN_VECTOR_LENGTH).fill(0);
  let count = 0;
  for (let i = 0; i < ds.length; i++) {
    const s = reinhardStats((await ds.get(i)).image);
    if (!s) continue;
    count++;
    stainCoordinates(s).forEach((v, k) => (sums[k]! += v));
  }
  if (count === 0) throw new PrivmedError('stain statistics: no training tile holds enough tissue');
  return { count, sums };
}

/**
 * Adds Gaussian noise (std noiseMultiplier * sqrt(7) per coordinate) after
 * `charge` has put the release on the ledger (a refusal there stops it);
 * post-processing keeps it valid (count >= 1, sums in [0, count]).
 */
export function releaseStainStatistics(exact: StainStatistics, charge: (mechanism: ReleaseMechanism) => void, noiseMultiplier: number): StainStatistics {
  if (!(noiseMultiplier > 0)) throw new PrivmedError(`stain statistics: the noise multiplier must be positive, got ${noiseMultiplier}`);
  const sensitivity = Math.sqrt(1 + STAIN_VECTOR_LENGTH);
  const plan = planGaussianGrid(sensitivity, noiseMultiplier, 1 + STAIN_VECTOR_LENGTH);
  charge({ type: 'gaussian', sensitivity, noiseStd: noiseMultiplier * sensitivity });
  const noisy = new GaussianGridMechanism(plan).release(Float64Array.from([exact.count, ...exact.sums]));
  const count = Math.max(1, Math.round(noisy[0]!));
  return { count, sums: Array.from({ length: STAIN_VECTOR_LENGTH }, (_, k) => Math.min(count, Math.max(0, noisy[1 + k]!))) };
}

/** What a site feeds into secure aggregation, weighted by its count: its mean coordinates, each in [0, 1]. */
export function stainVector(s: StainStatistics): Float64Array {
  return Float64Array.from(s.sums, (v) => v / s.count);
}

/** Sums over sites (plain, or the secure aggregate of count-weighted vectors) to the Reinhard reference. */
export function stainReferenceFromSum(sums: ArrayLike<number>, count: number): { method: 'reinhard'; mean: [number, number, number]; std: [number, number, number] } {
  if (sums.length !== STAIN_VECTOR_LENGTH || !(count > 0)) throw new PrivmedError(`stain statistics: ${STAIN_VECTOR_LENGTH} sums and a positive count expected, got ${sums.length} and ${count}`);
  const at = (k: number) => clamp01(sums[k]! / count);
  const mean = [0, 1, 2].map((c) => MEAN_LO[c]! + at(c) * (MEAN_HI[c]! - MEAN_LO[c]!)) as [number, number, number];
  // A spread of exactly 0 is not a usable reference: keep it just above.
  const std = [0, 1, 2].map((c) => Math.max(1e-3, at(3 + c) * STD_HI[c]!)) as [number, number, number];
  return { method: 'reinhard', mean, std };
}

/**
 * The stain sums in the statistics exchange's shape (wire/statistics.ts), so that one exchange
 * carries both: a count and two groups of three per-item sums, each in [0, count] - the L*a*b*
 * means where the channel sums go, the spreads where the sums of squares go.
 */
export function stainAsExchanged(s: StainStatistics): DatasetStatistics {
  return { count: s.count, sum: s.sums.slice(0, 3), sumSquares: s.sums.slice(3, STAIN_VECTOR_LENGTH) };
}

/** The summed stain statistics back from the exchange's totals. */
export function stainFromExchanged(total: DatasetStatistics): StainStatistics {
  if (total.sum.length !== 3 || total.sumSquares.length !== 3) {
    throw new PrivmedError(`stain statistics: 3 mean and 3 spread sums expected from the exchange, got ${total.sum.length} and ${total.sumSquares.length}`);
  }
  return { count: total.count, sums: [...total.sum, ...total.sumSquares] };
}
