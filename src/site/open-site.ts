/** Builds a node's LocalTrainer from its site configuration: loads (its share of) the data. */
import { resolve } from 'node:path';
import { classCounts, SubsetDataset, type Dataset } from '../data/dataset.js';
import { partition, type Partitioning } from '../data/partition.js';
import { openDataset } from '../data/resolve.js';
import { ConfigError, PrivmedError } from '../common/errors.js';
import { initBackend } from '../engine/backend.js';
import { balancedClassWeights } from '../training/loss.js';
import { defaultAugmentation, pixelAugmentation } from '../training/augment.js';
import type { PartitionConfig, SiteConfig } from './site-config.js';
import { sizeOf } from './config-sections.js';
import { TfjsLocalTrainer } from './site-trainer.js';
import type { NodePrivacyOptions } from './site-privacy.js';
import { openSegmentationSite } from './open-segmentation-site.js';
import { isFederatedStain } from '../data/stain/stain-spec.js';
import { StainedDataset } from '../data/stain/stained-dataset.js';

export function partitioning(p: PartitionConfig): Partitioning {
  return p.kind === 'iid' ? { kind: 'iid' } : p.kind === 'dirichlet' ? { kind: 'dirichlet', alpha: p.alpha } : { kind: 'label-skew', majority: p.majority };
}

function share(ds: Dataset, p: PartitionConfig | undefined, seedOffset: number): Dataset {
  if (!p) return ds;
  if (p.index >= p.sites) throw new PrivmedError(`site index ${p.index} is out of range for ${p.sites} sites`);
  const labels = Int32Array.from({ length: ds.length }, (_, i) => ds.label(i));
  return new SubsetDataset(ds, partition(labels, p.sites, partitioning(p), p.seed + seedOffset)[p.index]!);
}

export interface OpenedSite {
  trainer: TfjsLocalTrainer;
  backend: string;
  train: Dataset;
  val: Dataset;
  /** With DP: the node's ledger and the name its data is charged under. */
  privacy?: NodePrivacyOptions;
}

export interface SiteContext {
  /** The node's name: the ledger's default site name. */
  nodeName: string;
  /** Where the default privacy ledger goes (the node config's folder). */
  dir: string;
}

export async function openSite(site: SiteConfig, context: SiteContext = { nodeName: 'site', dir: '.' }): Promise<OpenedSite> {
  if (site.privacy && site.training.labelSmoothing > 0) throw new ConfigError('site.training.labelSmoothing', '0 with a privacy section (DP-SGD uses the plain per-sample loss)', String(site.training.labelSmoothing));
  const backend = await initBackend(site.backend);
  if (site.task === 'segmentation') return openSegmentationSite(site, context, backend);
  // A federated stain reference is not known yet: the tiles are read as they are and normalised once it arrives.
  const federatedStain = isFederatedStain(site.data.stain);
  const data = await openDataset(federatedStain ? { ...site.data, stain: undefined } : site.data);
  const stain = federatedStain
    ? { train: new StainedDataset(share(data.splits.train, site.data.partition, 0)), val: new StainedDataset(share(data.splits.val, site.data.partition, 1)) }
    : undefined;
  const train = stain?.train ?? share(data.splits.train, site.data.partition, 0);
  const val = stain?.val ?? share(data.splits.val, site.data.partition, 1);
  const info = train.info;
  const privacy = site.privacy
    ? { privacy: site.privacy, ledger: resolve(context.dir, site.privacy.ledger ?? 'privacy-ledger.sqlite'), site: site.privacy.site ?? context.nodeName }
    : undefined;
  const trainer = new TfjsLocalTrainer({
    spec: { arch: site.model.arch, inputShape: [info.height, info.width, info.channels], numClasses: info.classes.length, norm: site.model.norm, ...sizeOf(site.model) },
    train,
    val,
    // The identity until the coordinator sends the exchanged mean/std (exchangeStatistics); then those, on every node.
    normalisation: { mean: new Array<number>(info.channels).fill(0), std: new Array<number>(info.channels).fill(1) },
    batchSize: site.training.batchSize,
    optimizer: site.training.optimizer,
    // Exact class counts are not private: with DP the loss is unweighted.
    classWeights: site.training.classWeights === 'balanced' && !site.privacy ? balancedClassWeights(classCounts(train)) : null,
    seed: site.training.seed,
    augment: defaultAugmentation(info, site.training.augment),
    pixelAugment: pixelAugmentation(info, site.training.augment),
    labelSmoothing: site.training.labelSmoothing,
    ...(privacy ? { privacy } : {}),
    ...(stain ? { stain } : {}),
  });
  return { trainer, backend, train, val, ...(privacy ? { privacy } : {}) };
}
