/**
 * A site's answer to the statistics exchange: exact sums over its training
 * images without DP; with DP one Gaussian release, charged to the site's
 * ledger as a 'statistics' release BEFORE anything is sent.
 */
import type { Dataset } from '../data/dataset.js';
import { statisticsNoiseMultiplier } from '../dp/statistics/statistics-budget.js';
import { exactStatistics, releaseStatistics, type DatasetStatistics } from '../dp/statistics/federated-statistics.js';
import { exactStainStatistics, releaseStainStatistics, type StainStatistics } from '../dp/statistics/stain-statistics.js';
import { withNodeLedger, type NodePrivacyOptions } from './site-privacy.js';

export async function nodeStatistics(train: Dataset, privacy: NodePrivacyOptions | undefined): Promise<DatasetStatistics> {
  const exact = await exactStatistics(train);
  if (!privacy) return exact;
  return releaseStatistics(exact, (mechanism) =>
    withNodeLedger(privacy, (ledger) =>
      ledger.append({ site: privacy.site, kind: 'statistics', mechanism, note: 'federated normalisation: image count, per-channel sums and sums of squares' }),
    ),
    statisticsNoiseMultiplier(privacy.privacy),
  );
}

/**
 * A site's answer to the stain-reference exchange (docs/histopathology.md):
 * sums of its tiles' CIELAB statistics (read without stain normalisation);
 * with DP one Gaussian release at the statistics' noise, charged first.
 */
export async function nodeStainStatistics(rawTiles: Dataset, privacy: NodePrivacyOptions | undefined): Promise<StainStatistics> {
  const exact = await exactStainStatistics(rawTiles);
  if (!privacy) return exact;
  return releaseStainStatistics(
    exact,
    (mechanism) =>
      withNodeLedger(privacy, (ledger) =>
        ledger.append({ site: privacy.site, kind: 'statistics', mechanism, note: 'federated stain reference: tile count, sums of tile CIELAB means and standard deviations' }),
      ),
    statisticsNoiseMultiplier(privacy.privacy),
  );
}
