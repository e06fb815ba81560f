/**
 * A federation site's segmentation data and trainer: the same cases, split
 * and patch as `privmed train` with the same config, then this site's share
 * of the training and validation cases, dealt by case (never by slice) after
 * a seeded shuffle, so that every process computes the same shares.
 */
import { resolve } from 'node:path';
import { PrivmedError } from '../common/errors.js';
import { Rng } from '../common/rng.js';
import { openSegmentation, segmentationFolder } from '../data/segmentation/open-segmentation.js';
import { segAugmentation } from '../data/segmentation/seg-augment.js';
import type { SegCase } from '../data/segmentation/seg-cases.js';
import { patchFor, SliceDataset } from '../data/segmentation/slice-dataset.js';
import { segmentationTask } from '../training/segmentation-task.js';
import type { Task, TaskMetrics } from '../training/task.js';
import type { Dataset } from '../data/dataset.js';
import type { NodePrivacyOptions } from './site-privacy.js';
import { allSlices, segmentationMeta } from './run-segmentation.js';
import { SegmentationSchema } from './segmentation-config.js';
import type { PartitionConfig, SiteConfig } from './site-config.js';
import { TfjsLocalTrainer } from './site-trainer.js';

/** Site index's cases: a seeded shuffle dealt round-robin (IID by case). */
export function shareCases<T>(cases: readonly T[], p: PartitionConfig | undefined, seedOffset: number): T[] {
  if (!p) return [...cases];
  if (p.index >= p.sites) throw new PrivmedError(`site index ${p.index} is out of range for ${p.sites} sites`);
  const order = new Rng(p.seed + seedOffset).shuffle(Array.from(cases.keys()));
  return order.filter((_, i) => i % p.sites === p.index).sort((a, b) => a - b).map((i) => cases[i]!);
}

/** What openSite returns (its OpenedSite), spelled out here so the two files do not import each other. */
export interface OpenedSegmentationSite {
  trainer: TfjsLocalTrainer;
  backend: string;
  train: Dataset;
  val: Dataset;
  privacy?: NodePrivacyOptions;
}

export async function openSegmentationSite(site: SiteConfig, context: { nodeName: string; dir: string }, backend: string): Promise<OpenedSegmentationSite> {
  if (site.model.arch !== 'unet') throw new PrivmedError(`site.task segmentation needs site.model.arch unet, got ${site.model.arch}`);
  const seg = site.segmentation ?? SegmentationSchema.parse({});
  if (site.privacy && seg.repeat !== 1) throw new PrivmedError(`site.segmentation.repeat is ${seg.repeat}: with privacy it must be 1 (the case is the privacy unit)`);
  const k = seg.classes.length;
  const splits = await openSegmentation(
    segmentationFolder(site.data.dataset, site.data.root),
    { numClasses: k, axis: seg.axis, ...(seg.binaryThreshold !== undefined ? { binaryThreshold: seg.binaryThreshold } : {}) },
    { ...(seg.testList ? { testList: seg.testList } : {}), testFraction: seg.testFraction, valFraction: seg.valFraction, splitSeed: seg.splitSeed },
    site.data.root,
  );
  const depth = site.model.depth ?? 3;
  const all: SegCase[] = [...splits.train, ...splits.val, ...splits.test];
  const patch = seg.patch ?? patchFor(all, depth);
  const meta = segmentationMeta(seg, patch);
  const trainCases = shareCases(splits.train, site.data.partition, 0);
  const valCases = shareCases(splits.val, site.data.partition, 1);
  const train = new SliceDataset(trainCases, { mode: 'sample', patch, classes: seg.classes, context: seg.context, foreground: seg.foreground, repeat: seg.repeat, seed: site.training.seed });
  const val = allSlices(valCases, meta, seg.classes);
  const info = train.info;
  const privacy = site.privacy
    ? { privacy: site.privacy, ledger: resolve(context.dir, site.privacy.ledger ?? 'privacy-ledger.sqlite'), site: site.privacy.site ?? context.nodeName }
    : undefined;
  const trainer = new TfjsLocalTrainer({
    spec: { arch: 'unet', inputShape: [info.height, info.width, info.channels], numClasses: k, norm: site.model.norm, depth, width: site.model.width ?? 16 },
    train,
    val,
    // Cases are z-scored on their own: nothing to exchange, the normalisation is the identity.
    normalisation: { mean: new Array<number>(info.channels).fill(0), std: new Array<number>(info.channels).fill(1) },
    batchSize: site.training.batchSize,
    optimizer: site.training.optimizer,
    classWeights: null,
    seed: site.training.seed,
    ...(site.training.augment !== false ? { augment: segAugmentation({ height: info.height, width: info.width, channels: info.channels, ...seg.augment }) } : {}),
    task: segmentationTask({ numClasses: k, loss: seg.loss }) as unknown as Task<TaskMetrics>,
    ...(privacy ? { privacy } : {}),
  });
  return { trainer, backend, train, val, ...(privacy ? { privacy } : {}) };
}
