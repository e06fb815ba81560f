/**
 * The facade behind `privmed train` and `privmed demo`: config in, trained and
 * tested model out. Wires data, model, preprocessing and the training loop.
 */
import { join } from 'node:path';
import { classCounts, SubsetDataset, type Dataset } from '../data/dataset.js';
import { channelStats, normaliseTransform } from '../data/normalise.js';
import { openMedMnist } from '../data/resolve.js';
import { initBackend } from '../engine/backend.js';
import { buildModel } from '../models/build.js';
import { loadModel } from '../models/io.js';
import type { ModelSpec } from '../models/spec.js';
import type { TrainConfig } from '../config/train-config.js';
import type { ClassificationMetrics } from '../metrics/classification.js';
import { TransformedDataset } from '../data/dataset.js';
import { evaluate } from './evaluate.js';
import type { TrainListener } from './events.js';
import { initWeights } from './init.js';
import { balancedClassWeights } from './loss.js';
import { train, type TrainResult } from './trainer.js';
import { mildAugmentation } from './augment.js';

export interface RunOutcome {
  backend: string;
  result: TrainResult;
  test: ClassificationMetrics;
  modelDir: string;
  classes: string[];
}

export async function runTraining(
  cfg: TrainConfig,
  opts: { resume?: boolean; onEvent?: TrainListener; onBackend?: (line: string) => void } = {},
): Promise<RunOutcome> {
  const backend = await initBackend(cfg.backend);
  opts.onBackend?.(backend);
  const data = await openMedMnist(cfg.data.dataset, cfg.data.root);
  let trainSet: Dataset = data.splits.train;
  if (cfg.data.limit && cfg.data.limit < trainSet.length) trainSet = new SubsetDataset(trainSet, Array.from({ length: cfg.data.limit }, (_, i) => i));
  const info = trainSet.info;
  const spec: ModelSpec = { arch: cfg.model.arch, inputShape: [info.height, info.width, info.channels], numClasses: info.classes.length, norm: cfg.model.norm };
  const model = buildModel(spec);
  initWeights(model, cfg.training.seed);
  const stats = await channelStats(trainSet);
  const cw = cfg.training.classWeights;
  const classWeights = cw === 'none' ? null : cw === 'balanced' ? balancedClassWeights(classCounts(trainSet)) : cw;
  const result = await train({
    model,
    train: trainSet,
    val: data.splits.val,
    epochs: cfg.training.epochs,
    batchSize: cfg.training.batchSize,
    optimizer: cfg.training.optimizer,
    schedule: cfg.training.schedule,
    classWeights,
    seed: cfg.training.seed,
    selectionMetric: cfg.training.selectionMetric,
    patience: cfg.training.patience,
    preprocess: normaliseTransform(stats),
    augment: cfg.training.augment ? mildAugmentation() : undefined,
    outputDir: cfg.output,
    metadata: { spec, classes: info.classes, normalisation: stats, config: cfg },
    resume: opts.resume,
    onEvent: opts.onEvent,
  });
  model.dispose();
  const best = await loadModel(result.bestDir);
  const test = await evaluate(best.model, new TransformedDataset(data.splits.test, normaliseTransform(best.meta.normalisation), 0));
  best.model.dispose();
  return { backend, result, test, modelDir: join(cfg.output, 'best'), classes: info.classes };
}
