/**
 * Training by epochs, as `privmed train` runs it: the core's loop one epoch at
 * a time, LR schedule, validation each epoch, best-checkpoint selection and
 * early stopping on a validation metric (MCC by default, as PriMIA), atomic
 * per-epoch checkpoints and resume. DP-SGD plugs in its gradient step and
 * batch source (the budget watchdog).
 */
import { join } from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Dataset, Transform } from '../data/dataset.js';
import type { ClassificationMetrics } from '../metrics/classification.js';
import type { ModelMetadata } from '../models/io.js';
import { saveModel } from '../models/io.js';
import { hasCheckpoint, loadCheckpoint, saveCheckpoint, type LoopState } from './checkpoint.js';
import { shuffledBatches, TrainingCore, type BatchSource, type GradientStep } from './core.js';
import type { TrainListener } from './events.js';
import type { OptimizerConfig } from './optimizer.js';
import { learningRateAt, type ScheduleConfig } from './schedule.js';
import { classificationTask, type Task, type TaskMetrics } from './task.js';

export interface TrainOptions<M extends TaskMetrics = ClassificationMetrics> {
  model: tfl.LayersModel;
  train: Dataset;
  val: Dataset;
  epochs: number;
  batchSize: number;
  optimizer: OptimizerConfig;
  schedule: ScheduleConfig;
  classWeights: number[] | null;
  seed: number;
  selectionMetric: string;
  patience: number;
  /**
   * 'best' (default) keeps the epoch with the best validation score and stops early on it;
   * 'last' keeps the last epoch and never stops early. Under DP the choice must be 'last':
   * picking by validation score is a release from the validation data that no ledger charges.
   */
  selection?: 'best' | 'last';
  /** Applied to every image, at training and evaluation (normalisation). */
  preprocess?: Transform;
  /** Applied after preprocess, at training only (seeded per epoch and item). */
  augment?: Transform;
  /** Applied before preprocess, at training only (colour jitter of [0, 1] pixels). */
  pixelAugment?: Transform;
  /** Label smoothing of the default classification task's training loss. */
  labelSmoothing?: number;
  outputDir: string;
  metadata: Omit<ModelMetadata, 'privmedVersion' | 'metrics'>;
  resume?: boolean;
  strict?: boolean;
  gradientStep?: GradientStep;
  /** Decay of the moving average of the weights that validation and the saved model use; none when absent. */
  ema?: number;
  /** What is learned; default classification with classWeights. */
  task?: Task<M>;
  /** Defaults to shuffledBatches(batchSize, seed). */
  batchSource?: BatchSource;
  onEvent?: TrainListener<M>;
}

export interface TrainResult {
  bestEpoch: number | null;
  bestMetric: number | null;
  bestDir: string;
  history: Record<string, number>[];
}

/** `val` + capitalised key: the history's and the best model's names for a task's headline numbers. */
function prefixed(headline: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(headline).map(([k, v]) => [`val${k[0]!.toUpperCase()}${k.slice(1)}`, v]));
}

export async function train<M extends TaskMetrics = ClassificationMetrics>(o: TrainOptions<M>): Promise<TrainResult> {
  const emit = o.onEvent ?? (() => {});
  const t0 = performance.now();
  const checkpointDir = join(o.outputDir, 'checkpoint');
  const bestDir = join(o.outputDir, 'best');
  const task = o.task ?? (classificationTask(o.classWeights, o.labelSmoothing ?? 0) as unknown as Task<M>);
  const source = o.batchSource ?? shuffledBatches(o.batchSize, o.seed);
  const core = new TrainingCore({
    model: o.model,
    task,
    train: o.train,
    val: o.val,
    optimizer: o.optimizer,
    seed: o.seed,
    source,
    preprocess: o.preprocess,
    augment: o.augment,
    pixelAugment: o.pixelAugment,
    gradientStep: o.gradientStep,
    ...(o.ema !== undefined ? { ema: o.ema } : {}),
    strict: o.strict,
    onSkip: (i, err) => emit({ type: 'skip', item: o.train.describe?.(i) ?? `item ${i}`, reason: err.message }),
  });
  let state: LoopState = { epoch: 0, step: 0, bestMetric: null, bestEpoch: null, epochsWithoutImprovement: 0, history: [] };
  if (o.resume && hasCheckpoint(checkpointDir)) {
    const ck = await loadCheckpoint(checkpointDir, core.optimizer);
    o.model.setWeights(ck.model.getWeights());
    ck.model.dispose();
    state = ck.state;
  }
  const stepsPerEpoch = core.stepsPerEpoch();
  emit({ type: 'start', epochs: o.epochs, stepsPerEpoch, trainSize: o.train.length, valSize: o.val.length, resumedFromEpoch: state.epoch, params: o.model.countParams() });

  const keepLast = o.selection === 'last';
  const patience = keepLast ? 0 : o.patience;
  const stoppedEarly = patience > 0 && state.epochsWithoutImprovement >= patience;
  for (let epoch = state.epoch; epoch < o.epochs && !stoppedEarly; epoch++) {
    if (source.beginEpoch && !(await source.beginEpoch(epoch))) break;
    const lr = learningRateAt(o.optimizer.lr, o.schedule, epoch, o.epochs);
    core.setLearningRate(lr);
    core.cursor.epoch = epoch;
    core.cursor.batch = 0;
    const tEpoch = performance.now();
    let seen = 0;
    const ran = await core.run({
      epochs: 1,
      onBatch: ({ loss, size, stepInEpoch }) => {
        state.step++;
        seen += size;
        const sps = seen / ((performance.now() - tEpoch) / 1000);
        emit({ type: 'batch', epoch, step: stepInEpoch, stepsPerEpoch, loss, samplesPerSec: sps, etaSec: (o.train.length - seen) / sps });
      },
    });
    const seconds = (performance.now() - tEpoch) / 1000;
    const trainLoss = ran.lossSum / Math.max(ran.seen, 1);
    const val = await core.evaluate();
    const score = task.score(val, o.selectionMetric);
    const headline = prefixed(task.headline(val));
    const improved = keepLast || state.bestMetric === null || score > state.bestMetric;
    state.epoch = epoch + 1;
    state.history.push({ epoch: epoch + 1, trainLoss, lr, valLoss: val.loss ?? NaN, ...headline });
    if (improved) {
      state.bestMetric = score;
      state.bestEpoch = epoch + 1;
      state.epochsWithoutImprovement = 0;
      // The weights that were scored: with ema, the moving average.
      await core.withEvaluationWeights(() => saveModel(bestDir, o.model, { ...o.metadata, metrics: { epoch: epoch + 1, ...headline } }));
    } else state.epochsWithoutImprovement++;
    await saveCheckpoint(checkpointDir, o.model, o.metadata, core.optimizer, state);
    emit({ type: 'epoch', epoch: epoch + 1, epochs: o.epochs, trainLoss, lr, val, best: improved, seconds, samplesPerSec: ran.seen / seconds });
    if (source.endEpoch && !(await source.endEpoch(epoch))) break;
    if (patience > 0 && state.epochsWithoutImprovement >= patience) {
      emit({ type: 'early-stop', epoch: epoch + 1, bestEpoch: state.bestEpoch! });
      break;
    }
  }
  if (!o.task) task.dispose();
  core.dispose();
  emit({ type: 'done', bestEpoch: state.bestEpoch, bestMetric: state.bestMetric, seconds: (performance.now() - t0) / 1000 });
  return { bestEpoch: state.bestEpoch, bestMetric: state.bestMetric, bestDir, history: state.history };
}
