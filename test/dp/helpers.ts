/** A small DP training setup on the synthetic halves task, shared by the DP training tests. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { PrivacyConfig } from '../../src/dp/privacy-config.js';
import { normaliseTransform } from '../../src/data/preprocess/normalize.js';
import { setupDpTraining, type DpTraining } from '../../src/dp/private-run.js';
import type { PrivacyEvent } from '../../src/dp/events.js';
import type { Dataset } from '../../src/data/dataset.js';
import { train, type TrainOptions, type TrainResult } from '../../src/training/trainer.js';
import type { GradientStep } from '../../src/training/core.js';
import type { TrainEvent } from '../../src/training/events.js';
import { halvesDataset } from '../fixtures/synthetic.js';
import { smallCnn } from './models.js';

export const PRIVACY_DEFAULTS: PrivacyConfig = {
  delta: 1e-5,
  clipNorm: 1,
  clipping: 'flat',
  sampling: 'poisson',
  accountant: 'rdp',
  perSampleGradients: 'auto',
  statisticsShare: 0.1,
  augmentationMultiplicity: 1,
};

export interface DpRun {
  dir: string;
  model: tfl.LayersModel;
  dp: DpTraining;
  events: PrivacyEvent[];
  trainEvents: TrainEvent[];
  result?: TrainResult;
  error?: unknown;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Sets up DP training and runs it; `wrapStep` can make a step fail (a simulated kill). */
export async function runDp(o: {
  dir?: string;
  privacy: Partial<PrivacyConfig>;
  epochs: number;
  trainSet?: Dataset;
  batchSize?: number;
  resume?: boolean;
  lr?: number;
  wrapStep?: (step: GradientStep) => GradientStep;
}): Promise<DpRun> {
  const dir = o.dir ?? tempDir('privmed-dp-');
  const model = smallCnn('group', 8, 3);
  const events: PrivacyEvent[] = [];
  const trainEvents: TrainEvent[] = [];
  const trainSet = o.trainSet ?? halvesDataset(256, 8, 1);
  const batchSize = o.batchSize ?? 32;
  const dp = await setupDpTraining({
    privacy: { ...PRIVACY_DEFAULTS, ...o.privacy },
    model,
    train: trainSet,
    batchSize,
    epochs: o.epochs,
    outputDir: dir,
    defaultSite: 'halves',
    classWeights: 'balanced',
    resume: o.resume ?? false,
    onEvent: (e) => events.push(e),
  });
  const options: TrainOptions = {
    model,
    train: trainSet,
    val: halvesDataset(64, 8, 2),
    epochs: o.epochs,
    batchSize,
    optimizer: { name: 'adam', lr: o.lr ?? 0.01, momentum: 0.9, weightDecay: 0 },
    schedule: { name: 'constant', warmupEpochs: 0, stepEpochs: 10, gamma: 0.1 },
    classWeights: null,
    seed: 11,
    selectionMetric: 'auc',
    patience: 0,
    preprocess: normaliseTransform(dp.normalisation),
    outputDir: dir,
    metadata: { spec: { arch: 'small-cnn', inputShape: [8, 8, 1], numClasses: 2, norm: 'group' }, classes: ['bottom', 'top'], normalisation: dp.normalisation },
    resume: o.resume ?? false,
    gradientStep: o.wrapStep ? o.wrapStep(dp.gradientStep) : dp.gradientStep,
    batchSource: dp.batchSource,
    onEvent: (e) => trainEvents.push(e),
  };
  const run: DpRun = { dir, model, dp, events, trainEvents };
  try {
    run.result = await train(options);
  } catch (err) {
    run.error = err;
  }
  return run;
}
