/**
 * The local training loop: seeded batches, weighted cross-entropy, LR schedule,
 * validation each epoch, best-checkpoint selection and early stopping on a
 * validation metric (MCC by default, as PriMIA), atomic per-epoch checkpoints
 * and resume. The gradient step is pluggable so DP-SGD can replace it.
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { batches, TransformedDataset, type Batch, type BatchOptions, type Dataset, type Transform } from '../data/dataset.js';
import type { ClassificationMetrics } from '../metrics/classification.js';
import type { ModelMetadata } from '../models/io.js';
import { saveModel } from '../models/io.js';
import { hasCheckpoint, loadCheckpoint, saveCheckpoint, type LoopState } from './checkpoint.js';
import { evaluate } from './evaluate.js';
import type { TrainListener } from './events.js';
import { weightedCrossEntropy } from './loss.js';
import { applyUpdate, makeOptimizer, setLearningRate, type OptimizerConfig } from './optimizer.js';
import { learningRateAt, type ScheduleConfig } from './schedule.js';

export type SelectionMetric = 'mcc' | 'auc' | 'accuracy' | 'loss';

/** Computes gradients for one batch; returns the mean loss. DP-SGD supplies its own. */
export type GradientStep = (batch: Batch, model: tfl.LayersModel, lossFn: (logits: tf.Tensor2D, labels: tf.Tensor1D) => tf.Scalar) => Promise<{ loss: number; grads: tf.NamedTensorMap }>;

/**
 * Where each epoch's batches come from. The default is seeded, shuffled,
 * fixed-size batches; DP-SGD plugs in its private sampler and budget watchdog.
 */
export interface BatchSource {
  /** Steps in a full epoch (for progress reports). */
  stepsPerEpoch(trainSize: number): number;
  /** Called before an epoch starts; false ends training there (the last checkpoint stands). */
  beginEpoch?(epoch: number): Promise<boolean>;
  batches(train: Dataset, epoch: number, opts: Pick<BatchOptions, 'strict' | 'onSkip'>): AsyncIterable<Batch>;
  /** Called once the epoch's checkpoint is saved; false ends training. */
  endEpoch?(epoch: number): Promise<boolean>;
}

/** The default batch source: a seeded shuffle per epoch, batches of batchSize. */
export function shuffledBatches(batchSize: number, seed: number): BatchSource {
  return {
    stepsPerEpoch: (n) => Math.ceil(n / batchSize),
    batches: (train, epoch, opts) => batches(train, { ...opts, batchSize, shuffle: true, seed: (seed * 7919 + epoch) >>> 0 }),
  };
}

export interface TrainOptions {
  model: tfl.LayersModel;
  train: Dataset;
  val: Dataset;
  epochs: number;
  batchSize: number;
  optimizer: OptimizerConfig;
  schedule: ScheduleConfig;
  classWeights: number[] | null;
  seed: number;
  selectionMetric: SelectionMetric;
  patience: number;
  /** Applied to every image, at training and evaluation (normalisation). */
  preprocess?: Transform;
  /** Applied after preprocess, at training only (seeded per epoch and item). */
  augment?: Transform;
  outputDir: string;
  metadata: Omit<ModelMetadata, 'privmedVersion' | 'metrics'>;
  resume?: boolean;
  strict?: boolean;
  gradientStep?: GradientStep;
  /** Defaults to shuffledBatches(batchSize, seed). */
  batchSource?: BatchSource;
  onEvent?: TrainListener;
}

export interface TrainResult {
  bestEpoch: number | null;
  bestMetric: number | null;
  bestDir: string;
  history: Record<string, number>[];
}

export function metricValue(m: ClassificationMetrics, name: SelectionMetric): number {
  return name === 'loss' ? -(m.loss ?? Infinity) : m[name];
}

export const standardGradientStep: GradientStep = async (batch, model, lossFn) => {
  const [h, w, c] = (model.inputs[0]!.shape as number[]).slice(1) as [number, number, number];
  const vars = model.trainableWeights.map((v) => v.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(() => {
    const logits = model.apply(tf.tensor4d(batch.x, [batch.size, h, w, c]), { training: true }) as tf.Tensor2D;
    return lossFn(logits, tf.tensor1d(batch.y, 'int32'));
  }, vars);
  const loss = (await value.data())[0]!;
  value.dispose();
  return { loss, grads };
};

export async function train(o: TrainOptions): Promise<TrainResult> {
  const emit = o.onEvent ?? (() => {});
  const t0 = performance.now();
  const checkpointDir = join(o.outputDir, 'checkpoint');
  const bestDir = join(o.outputDir, 'best');
  const optimizer = makeOptimizer(o.optimizer);
  const model = o.model;
  let state: LoopState = { epoch: 0, step: 0, bestMetric: null, bestEpoch: null, epochsWithoutImprovement: 0, history: [] };
  if (o.resume && hasCheckpoint(checkpointDir)) {
    const ck = await loadCheckpoint(checkpointDir, optimizer);
    const weights = ck.model.getWeights();
    model.setWeights(weights);
    ck.model.dispose();
    state = ck.state;
  }
  const classWeights = o.classWeights ? tf.tensor1d(o.classWeights) : null;
  const lossFn = (logits: tf.Tensor2D, labels: tf.Tensor1D) => weightedCrossEntropy(logits, labels, classWeights);
  const step = o.gradientStep ?? standardGradientStep;
  const identity: Transform = (s) => s;
  const pre = o.preprocess ?? identity;
  const aug = o.augment;
  const trainView = new TransformedDataset(o.train, aug ? (s, rng) => aug(pre(s, rng), rng) : pre, o.seed);
  const valView = new TransformedDataset(o.val, pre, o.seed);
  const source = o.batchSource ?? shuffledBatches(o.batchSize, o.seed);
  const stepsPerEpoch = source.stepsPerEpoch(o.train.length);
  const vars = model.trainableWeights.map((v) => v.read() as tf.Variable);
  emit({ type: 'start', epochs: o.epochs, stepsPerEpoch, trainSize: o.train.length, valSize: o.val.length, resumedFromEpoch: state.epoch, params: model.countParams() });

  const stoppedEarly = o.patience > 0 && state.epochsWithoutImprovement >= o.patience;
  for (let epoch = state.epoch; epoch < o.epochs && !stoppedEarly; epoch++) {
    if (source.beginEpoch && !(await source.beginEpoch(epoch))) break;
    const lr = learningRateAt(o.optimizer.lr, o.schedule, epoch, o.epochs);
    setLearningRate(optimizer, lr);
    trainView.epoch = epoch;
    const tEpoch = performance.now();
    let seen = 0;
    let lossSum = 0;
    let k = 0;
    for await (const batch of source.batches(trainView, epoch, {
      strict: o.strict,
      onSkip: (i, err) => emit({ type: 'skip', item: o.train.describe?.(i) ?? `item ${i}`, reason: err.message }),
    })) {
      const { loss, grads } = await step(batch, model, lossFn);
      applyUpdate(optimizer, grads, vars, o.optimizer.weightDecay);
      k++;
      state.step++;
      seen += batch.size;
      lossSum += loss * batch.size;
      const elapsed = (performance.now() - tEpoch) / 1000;
      const sps = seen / elapsed;
      emit({ type: 'batch', epoch, step: k, stepsPerEpoch, loss, samplesPerSec: sps, etaSec: (o.train.length - seen) / sps });
    }
    const seconds = (performance.now() - tEpoch) / 1000;
    const val = await evaluate(model, valView);
    const score = metricValue(val, o.selectionMetric);
    const improved = state.bestMetric === null || score > state.bestMetric;
    state.epoch = epoch + 1;
    state.history.push({ epoch: epoch + 1, trainLoss: lossSum / Math.max(seen, 1), lr, valLoss: val.loss ?? NaN, valAuc: val.auc, valMcc: val.mcc, valAccuracy: val.accuracy });
    if (improved) {
      state.bestMetric = score;
      state.bestEpoch = epoch + 1;
      state.epochsWithoutImprovement = 0;
      await saveModel(bestDir, model, { ...o.metadata, metrics: { epoch: epoch + 1, valAuc: val.auc, valMcc: val.mcc, valAccuracy: val.accuracy } });
    } else state.epochsWithoutImprovement++;
    await saveCheckpoint(checkpointDir, model, o.metadata, optimizer, state);
    emit({ type: 'epoch', epoch: epoch + 1, epochs: o.epochs, trainLoss: lossSum / Math.max(seen, 1), lr, val, best: improved, seconds, samplesPerSec: seen / seconds });
    if (source.endEpoch && !(await source.endEpoch(epoch))) break;
    if (o.patience > 0 && state.epochsWithoutImprovement >= o.patience) {
      emit({ type: 'early-stop', epoch: epoch + 1, bestEpoch: state.bestEpoch! });
      break;
    }
  }
  classWeights?.dispose();
  optimizer.dispose();
  emit({ type: 'done', bestEpoch: state.bestEpoch, bestMetric: state.bestMetric, seconds: (performance.now() - t0) / 1000 });
  return { bestEpoch: state.bestEpoch, bestMetric: state.bestMetric, bestDir, history: state.history };
}
