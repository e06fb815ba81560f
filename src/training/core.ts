/**
 * The one training loop. Local training (`privmed train`) and a federation
 * site both drive it: the first a whole epoch at a time between validations
 * and checkpoints, the second for a round's epochs or a round's number of
 * batches (sub-epoch sync), continuing where the previous round stopped.
 * What a batch is (shuffled, or DP-SGD's private sampler), how gradients are
 * computed (standard or DP-SGD) and what is learned (the task) are plugged in.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { batches, TransformedDataset, type Batch, type BatchOptions, type Dataset, type Transform } from '../data/dataset.js';
import { applyUpdate, makeOptimizer, setLearningRate, type OptimizerConfig } from './optimizer.js';
import type { BatchLoss, Task, TaskMetrics } from './task.js';
import { WeightAverage } from './weight-average.js';

/** Computes gradients for one batch; returns the mean loss. DP-SGD supplies its own. */
export type GradientStep = (
  batch: Batch,
  model: tfl.LayersModel,
  lossFn: BatchLoss,
  labels?: (batch: Batch) => tf.Tensor,
) => Promise<{ loss: number; grads: tf.NamedTensorMap }>;

/** Where an epoch's batches come from: a seeded shuffle by default, DP-SGD's sampler and watchdog with privacy. */
export interface BatchSource {
  /** Steps in a full epoch (for progress reports). */
  stepsPerEpoch(trainSize: number): number;
  /** Called before an epoch starts; false ends training there (the last checkpoint stands). */
  beginEpoch?(epoch: number): Promise<boolean>;
  /** The epoch's batches, less the first `skipBatches` (already trained on: sub-epoch sync). */
  batches(train: Dataset, epoch: number, opts: Pick<BatchOptions, 'strict' | 'onSkip'> & { skipBatches?: number }): AsyncIterable<Batch>;
  /** Called once the epoch's checkpoint is saved; false ends training. */
  endEpoch?(epoch: number): Promise<boolean>;
}

/** The default batch source: a seeded shuffle per epoch, batches of batchSize. */
export function shuffledBatches(batchSize: number, seed: number): BatchSource {
  return {
    stepsPerEpoch: (n) => Math.ceil(n / batchSize),
    batches: (train, epoch, opts) =>
      batches(train, { strict: opts.strict, onSkip: opts.onSkip, batchSize, shuffle: true, seed: (seed * 7919 + epoch) >>> 0, skip: (opts.skipBatches ?? 0) * batchSize }),
  };
}

export const standardGradientStep: GradientStep = async (batch, model, lossFn, labels) => {
  const [h, w, c] = (model.inputs[0]!.shape as number[]).slice(1) as [number, number, number];
  const vars = model.trainableWeights.map((v) => v.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(() => {
    const logits = model.apply(tf.tensor4d(batch.x, [batch.size, h, w, c]), { training: true }) as tf.Tensor;
    return lossFn(logits, labels ? labels(batch) : tf.tensor1d(batch.y, 'int32'));
  }, vars);
  const loss = (await value.data())[0]!;
  value.dispose();
  return { loss, grads };
};

export interface CoreOptions<M extends TaskMetrics> {
  model: tfl.LayersModel;
  task: Task<M>;
  train: Dataset;
  val: Dataset;
  optimizer: OptimizerConfig;
  seed: number;
  source: BatchSource;
  /** Applied to every image, at training and evaluation (normalisation). */
  preprocess?: Transform;
  /** Applied after preprocess, at training only (seeded per epoch and item). */
  augment?: Transform;
  /** Applied before preprocess, at training only: colour changes that need the [0, 1] pixels. */
  pixelAugment?: Transform;
  gradientStep?: GradientStep;
  /** Decay of an exponential moving average of the weights that evaluation uses (weight-average.ts); none when absent. */
  ema?: number;
  strict?: boolean;
  onSkip?: (item: number, err: Error) => void;
}

/** How far a call of run() goes: whole epochs, or a number of batches, whichever comes first. */
export interface RunLimit {
  epochs?: number;
  batches?: number;
  /** FedProx: adds mu/2 ||w - w_start||^2 to the loss, w_start the weights when run() is called. */
  proximalMu?: number;
  onBatch?: (b: { loss: number; size: number; stepInEpoch: number }) => void;
}

export interface RunResult {
  batches: number;
  seen: number;
  lossSum: number;
  /** Epochs run to their end. */
  epochsDone: number;
}

/** Lets timers (heartbeats, progress) run between batches: wasm kernels block the thread. */
const yieldToEventLoop = () => new Promise<void>((r) => setImmediate(r));

export class TrainingCore<M extends TaskMetrics> {
  readonly model: tfl.LayersModel;
  readonly optimizer: tf.Optimizer;
  /** The data order's position: the epoch, and the batches of it already trained on. */
  readonly cursor = { epoch: 0, batch: 0 };
  private trainView!: TransformedDataset;
  private valView!: TransformedDataset;
  private readonly vars: tf.Variable[];
  private readonly step: GradientStep;
  private readonly average: WeightAverage | null;

  constructor(private readonly o: CoreOptions<M>) {
    this.model = o.model;
    this.optimizer = makeOptimizer(o.optimizer);
    this.vars = o.model.trainableWeights.map((v) => v.read() as tf.Variable);
    this.step = o.gradientStep ?? standardGradientStep;
    this.average = o.ema !== undefined ? new WeightAverage(this.vars, o.ema) : null;
    this.setPreprocess(o.preprocess);
  }

  /** (Re)builds the train and validation views around a new normalisation. */
  setPreprocess(preprocess: Transform | undefined): void {
    const pre: Transform = preprocess ?? ((s) => s);
    const pix = this.o.pixelAugment;
    const first: Transform = pix ? (s, rng) => pre(pix(s, rng.fork(1000)), rng) : pre;
    const aug = this.o.augment;
    this.trainView = new TransformedDataset(this.o.train, aug ? (s, rng) => aug(first(s, rng), rng) : first, this.o.seed);
    this.valView = new TransformedDataset(this.o.val, pre, this.o.seed);
  }

  setLearningRate(lr: number): void {
    setLearningRate(this.optimizer, lr);
  }

  stepsPerEpoch(): number {
    return this.o.source.stepsPerEpoch(this.o.train.length);
  }

  async run(limit: RunLimit): Promise<RunResult> {
    const maxEpochs = limit.epochs ?? Infinity;
    const maxBatches = limit.batches ?? Infinity;
    const mu = limit.proximalMu ?? 0;
    const anchor = mu > 0 ? this.vars.map((v) => tf.clone(v)) : [];
    const r: RunResult = { batches: 0, seen: 0, lossSum: 0, epochsDone: 0 };
    try {
      while (r.epochsDone < maxEpochs && r.batches < maxBatches) {
        this.trainView.epoch = this.cursor.epoch;
        const startedAt = this.cursor.batch;
        const before = r.batches;
        let cut = false;
        const epochBatches = this.o.source.batches(this.trainView, this.cursor.epoch, { strict: this.o.strict, onSkip: this.o.onSkip, skipBatches: startedAt });
        for await (const batch of epochBatches) {
          const loss = await this.trainOn(batch, mu, anchor);
          this.cursor.batch++;
          r.batches++;
          r.seen += batch.size;
          r.lossSum += loss * batch.size;
          limit.onBatch?.({ loss, size: batch.size, stepInEpoch: this.cursor.batch });
          if (r.batches >= maxBatches) {
            cut = true;
            break;
          }
        }
        if (cut) break;
        // The source ran dry: the epoch is over (an empty epoch from its start would loop forever).
        this.cursor.epoch++;
        this.cursor.batch = 0;
        r.epochsDone++;
        if (startedAt === 0 && r.batches === before) break;
      }
    } finally {
      tf.dispose(anchor);
    }
    return r;
  }

  /** Scores the model on the validation view; with ema, the averaged weights. */
  evaluate(): Promise<M> {
    return this.withEvaluationWeights(() => this.o.task.evaluate(this.model, this.valView));
  }

  /** Runs fn with the weights evaluation uses in the model (the moving average with ema, else the trained ones). */
  withEvaluationWeights<T>(fn: () => Promise<T>): Promise<T> {
    return this.average ? this.average.swapIn(fn) : fn();
  }

  dispose(): void {
    this.optimizer.dispose();
    this.average?.dispose();
  }

  private async trainOn(batch: Batch, mu: number, anchor: tf.Tensor[]): Promise<number> {
    const { loss, grads } = await this.step(batch, this.model, this.o.task.loss, this.o.task.labels);
    if (mu > 0) {
      // FedProx: the gradient of mu/2 ||w - w_global||^2 is mu (w - w_global); data-independent, so added after any DP noise.
      this.vars.forEach((v, i) => {
        const g = grads[v.name];
        if (g) grads[v.name] = tf.tidy(() => tf.add(g, tf.mul(tf.sub(v, anchor[i]!), mu)));
        g?.dispose();
      });
    }
    applyUpdate(this.optimizer, grads, this.vars, this.o.optimizer.weightDecay);
    this.average?.update();
    await yieldToEventLoop();
    return loss;
  }
}
