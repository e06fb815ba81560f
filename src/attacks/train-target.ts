/**
 * The models the attacks and the audit probe, trained the way privmed trains
 * (the training core; with privacy, DP-SGD through makePrivate charging a
 * ledger), so what is attacked is what ships. Small CNN without a norm layer:
 * valid for DP-SGD and cheap enough for shadow models.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Dataset } from '../data/dataset.js';
import { makePrivate } from '../dp/make-private.js';
import { buildModel } from '../models/build.js';
import { shuffledBatches, TrainingCore } from '../training/core.js';
import { initWeights } from '../training/init.js';
import { classificationTask } from '../training/task.js';

export interface TargetPrivacy {
  epsilon: number;
  delta: number;
  clipNorm: number;
  /** Ledger file the run is charged to. */
  ledger: string;
  site: string;
}

export interface TrainTargetOptions {
  train: Dataset;
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
  privacy?: TargetPrivacy;
}

export interface TrainedTarget {
  model: tfl.LayersModel;
  /** The ledger's epsilon after training (null without privacy). */
  epsilon: number | null;
  noiseMultiplier: number | null;
  steps: number;
}

export async function trainTarget(o: TrainTargetOptions): Promise<TrainedTarget> {
  const { height, width, channels, classes } = o.train.info;
  const model = buildModel({ arch: 'small-cnn', inputShape: [height, width, channels], numClasses: classes.length, norm: 'none' });
  initWeights(model, o.seed);
  const dp = o.privacy
    ? makePrivate({
        model,
        data: o.train,
        batchSize: o.batchSize,
        epochs: o.epochs,
        site: o.privacy.site,
        privacy: { targetEpsilon: o.privacy.epsilon, delta: o.privacy.delta, clipNorm: o.privacy.clipNorm, ledger: o.privacy.ledger },
      })
    : null;
  const core = new TrainingCore({
    model,
    task: classificationTask(null),
    train: o.train,
    val: o.train,
    optimizer: { name: 'sgd', lr: o.lr, momentum: 0.9, weightDecay: 0 },
    seed: o.seed,
    source: dp ? dp.batchSource() : shuffledBatches(o.batchSize, o.seed),
    ...(dp ? { gradientStep: dp.gradientStep } : {}),
  });
  let steps = 0;
  for (let e = 0; e < o.epochs; e++) {
    // With DP each epoch is charged before it runs (append first, release after).
    if (dp) dp.charge(dp.sampler.stepsPerEpoch, `attack target, epoch ${e + 1}`);
    steps += (await core.run({ epochs: 1 })).batches;
  }
  return { model, epsilon: dp ? dp.epsilon() : null, noiseMultiplier: dp ? dp.noiseMultiplier : null, steps };
}
