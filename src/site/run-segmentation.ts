/**
 * `privmed train` with `task: segmentation`: image/label cases split by case,
 * slices (or 2.5-D slabs) padded to one patch, a U-Net, the one training core
 * with the segmentation task, DP-SGD through the same facade (the case is the
 * privacy unit: one draw per case per epoch), then the best model scored on
 * the held-back cases in 3-D.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PrivmedError } from '../common/errors.js';
import { openSegmentation, segmentationFolder } from '../data/segmentation/open-segmentation.js';
import { segAugmentation } from '../data/segmentation/seg-augment.js';
import { patchFor, SliceDataset } from '../data/segmentation/slice-dataset.js';
import type { SegCase } from '../data/segmentation/seg-cases.js';
import { setupDpTraining, type PrivacyOutcome } from '../dp/private-run.js';
import type { PrivacyListener } from '../dp/events.js';
import { initBackend } from '../engine/backend.js';
import type { SegmentationMetrics } from '../metrics/segmentation.js';
import { buildModel } from '../models/build.js';
import { loadModel, type SegmentationMeta } from '../models/io.js';
import type { ModelSpec } from '../models/spec.js';
import { learningCurvesChart } from '../plots/learning-curves.js';
import { writeChart } from '../plots/png.js';
import type { TrainListener } from '../training/events.js';
import { initWeights } from '../training/init.js';
import { evaluateSegmentation, segmentationTask } from '../training/segmentation-task.js';
import { train, type TrainResult } from '../training/trainer.js';
import { SegmentationSchema, type SegmentationConfig } from './segmentation-config.js';
import type { TrainConfig } from './train-config.js';

export interface SegmentationOutcome {
  backend: string;
  result: TrainResult;
  test: SegmentationMetrics;
  modelDir: string;
  classes: string[];
  cases: { train: number; val: number; test: number };
  privacy?: PrivacyOutcome;
}

export function segmentationMeta(seg: SegmentationConfig, patch: [number, number]): SegmentationMeta {
  return { axis: seg.axis, patch, context: seg.context, loss: seg.loss, ...(seg.binaryThreshold !== undefined ? { binaryThreshold: seg.binaryThreshold } : {}) };
}

/** Every slice of the cases, in order, as the model's input (evaluation, prediction). */
export function allSlices(cases: readonly SegCase[], meta: SegmentationMeta, classes: string[]): SliceDataset {
  return new SliceDataset(cases, { mode: 'all', patch: meta.patch, classes, context: meta.context });
}

export async function runSegmentationTraining(
  cfg: TrainConfig,
  opts: { resume?: boolean; onEvent?: TrainListener<SegmentationMetrics>; onBackend?: (line: string) => void; onPrivacy?: PrivacyListener } = {},
): Promise<SegmentationOutcome> {
  if (cfg.model.arch !== 'unet') throw new PrivmedError(`task segmentation needs model.arch unet, got ${cfg.model.arch}`);
  const seg = cfg.segmentation ?? SegmentationSchema.parse({});
  if (cfg.privacy && seg.repeat !== 1) {
    throw new PrivmedError(`segmentation.repeat is ${seg.repeat}: with privacy it must be 1`, { hint: 'DP-SGD samples cases; several draws of a case per epoch would each be charged as a different person' });
  }
  mkdirSync(cfg.output, { recursive: true });
  const backend = await initBackend(cfg.backend);
  opts.onBackend?.(backend);
  const dir = segmentationFolder(cfg.data.dataset, cfg.data.root);
  const k = seg.classes.length;
  const splits = await openSegmentation(
    dir,
    { numClasses: k, axis: seg.axis, ...(seg.binaryThreshold !== undefined ? { binaryThreshold: seg.binaryThreshold } : {}) },
    { ...(seg.testList ? { testList: seg.testList } : {}), testFraction: seg.testFraction, valFraction: seg.valFraction, splitSeed: seg.splitSeed },
    cfg.data.root,
  );
  const trainCases = cfg.data.limit ? splits.train.slice(0, cfg.data.limit) : splits.train;
  const depth = cfg.model.depth ?? 3;
  const patch = seg.patch ?? patchFor([...splits.train, ...splits.val, ...splits.test], depth);
  const meta = segmentationMeta(seg, patch);
  const trainSet = new SliceDataset(trainCases, { mode: 'sample', patch, classes: seg.classes, context: seg.context, foreground: seg.foreground, repeat: seg.repeat, seed: cfg.training.seed });
  const valSet = allSlices(splits.val, meta, seg.classes);
  const info = trainSet.info;
  const spec: ModelSpec = { arch: 'unet', inputShape: [info.height, info.width, info.channels], numClasses: k, norm: cfg.model.norm, depth, width: cfg.model.width ?? 16 };
  const model = buildModel(spec);
  initWeights(model, cfg.training.seed);
  const task = segmentationTask({ numClasses: k, loss: seg.loss });
  const dp = cfg.privacy
    ? await setupDpTraining({
        privacy: cfg.privacy,
        model,
        train: trainSet,
        batchSize: cfg.training.batchSize,
        epochs: cfg.training.epochs,
        outputDir: cfg.output,
        defaultSite: cfg.data.dataset,
        classWeights: 'none',
        // Cases are z-scored on their own and no class is weighted: no statistics to release.
        statistics: false,
        loss: task.perSampleLoss,
        labels: task.labels,
        resume: opts.resume,
        onEvent: opts.onPrivacy,
      })
    : null;
  const a = seg.augment;
  // The classification default 'mcc' means "the task's own metric" here: Dice.
  const selection = cfg.training.selectionMetric === 'mcc' ? 'dice' : cfg.training.selectionMetric;
  let result: TrainResult;
  let privacy: PrivacyOutcome | undefined;
  try {
    result = await train({
      model,
      train: trainSet,
      val: valSet,
      epochs: cfg.training.epochs,
      batchSize: cfg.training.batchSize,
      optimizer: cfg.training.optimizer,
      schedule: cfg.training.schedule,
      classWeights: null,
      seed: cfg.training.seed,
      selectionMetric: selection,
      patience: cfg.training.patience,
      // Under DP the last epoch is kept: choosing by validation score would be an uncharged release.
      selection: dp ? 'last' : 'best',
      task,
      ...(cfg.training.augment !== false ? { augment: segAugmentation({ height: info.height, width: info.width, channels: info.channels, ...a }) } : {}),
      ...(cfg.training.ema !== undefined ? { ema: cfg.training.ema } : {}),
      outputDir: cfg.output,
      // Intensities are z-scored per case: the stored normalisation is the identity.
      metadata: { spec, classes: seg.classes, normalisation: { mean: [0], std: [1] }, config: cfg, segmentation: meta },
      resume: opts.resume,
      ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
      ...(dp ? { gradientStep: dp.gradientStep, batchSource: dp.batchSource } : {}),
    });
  } finally {
    privacy = dp?.finish();
  }
  model.dispose();
  if (result.history.length > 0) await writeChart(cfg.output, 'learning-curves', learningCurvesChart(result.history, ['valDice', ...seg.classes.slice(1).map((_, i) => `valDice${i + 1}`)]));
  if (!existsSync(join(result.bestDir, 'model.json'))) throw new PrivmedError('no epoch finished, so no model was saved (privacy budget used up before the first epoch ended?)');
  const best = await loadModel(result.bestDir);
  const { cases: _c, ...test } = await evaluateSegmentation(best.model, allSlices(splits.test, meta, seg.classes), { numClasses: k, loss: seg.loss, hd95: true });
  best.model.dispose();
  return {
    backend,
    result,
    test,
    modelDir: join(cfg.output, 'best'),
    classes: seg.classes,
    cases: { train: trainCases.length, val: splits.val.length, test: splits.test.length },
    ...(privacy ? { privacy } : {}),
  };
}
