/**
 * The LocalTrainer a hospital node runs: trains its copy of the model on its
 * own data with tfjs, starting from the global weights of each round. Data
 * never leaves this object; only weights and aggregate metrics do.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { batches, loadBatch, TransformedDataset, type Batch, type Dataset, type Transform } from '../../data/dataset.js';
import { normaliseTransform, type ChannelStats } from '../../data/preprocess/normalize.js';
import { buildModel } from '../../models/build.js';
import type { ModelSpec } from '../../models/spec.js';
import { evaluate } from '../../training/evaluate.js';
import { initWeights } from '../../training/init.js';
import { weightedCrossEntropy } from '../../training/loss.js';
import { applyUpdate, makeOptimizer, setLearningRate, type OptimizerConfig } from '../../training/optimizer.js';
import { standardGradientStep, type GradientStep } from '../../training/trainer.js';
import { readWeights, writeWeights } from '../../training/weights.js';
import type { EvaluateConfig, FitConfig } from '../wire/fit-config.js';
import type { NamedTensor } from '../wire/tensors.js';
import type { EvaluateOutput, FitOutput, LocalTrainer } from './local-trainer.js';
import { NodePrivacy, type NodePrivacyOptions } from './node-privacy.js';
import { nodeStatistics } from './node-statistics.js';
import { PrivmedError } from '../../common/errors.js';
import { normalisationFromConfig, type DatasetStatistics } from '../wire/statistics.js';

function sameStats(a: ChannelStats, b: ChannelStats): boolean {
  return a.mean.length === b.mean.length && a.mean.every((v, i) => v === b.mean[i] && a.std[i] === b.std[i]);
}

export interface TfjsTrainerOptions {
  spec: ModelSpec;
  train: Dataset;
  val: Dataset;
  normalisation: ChannelStats;
  batchSize: number;
  optimizer: OptimizerConfig;
  classWeights: number[] | null;
  seed: number;
  augment?: Transform;
  gradientStep?: GradientStep;
  /** Train with DP-SGD (CSPRNG sampling and noise), charging the node's ledger. */
  privacy?: NodePrivacyOptions;
}

/** Lets timers (heartbeats) run between batches: wasm kernels block the thread. */
const yieldToEventLoop = () => new Promise<void>((r) => setImmediate(r));

export class TfjsLocalTrainer implements LocalTrainer {
  private readonly model: tfl.LayersModel;
  private readonly optimizer: tf.Optimizer;
  private trainView!: TransformedDataset;
  private valView!: TransformedDataset;
  /** The normalisation the views apply: the constructor's until the coordinator sends the exchanged one. */
  private normalisation!: ChannelStats;
  private readonly classWeights: tf.Tensor1D | null;
  private readonly dp: NodePrivacy | null;
  /** Sub-epoch sync resumes the local data order where the previous round stopped. */
  private epoch = 0;
  private position = 0;

  constructor(private readonly o: TfjsTrainerOptions) {
    this.model = buildModel(o.spec);
    initWeights(this.model, o.seed);
    this.optimizer = makeOptimizer(o.optimizer);
    this.useNormalisation(o.normalisation);
    this.classWeights = o.classWeights ? tf.tensor1d(o.classWeights) : null;
    this.dp = o.privacy ? new NodePrivacy(o.privacy, this.model, o.train, o.batchSize, o.classWeights) : null;
  }

  /** (Re)builds the train/val views for `n`; a no-op when it is the one in use. */
  private useNormalisation(n: ChannelStats): void {
    if (this.normalisation && sameStats(this.normalisation, n)) return;
    const channels = this.o.train.info.channels;
    if (n.mean.length !== channels) throw new PrivmedError(`the coordinator's normalisation has ${n.mean.length} channel(s), this node's images ${channels}`);
    const pre = normaliseTransform(n);
    const aug = this.o.augment;
    const epoch = this.trainView?.epoch ?? 0;
    this.trainView = new TransformedDataset(this.o.train, aug ? (s, rng) => aug(pre(s, rng), rng) : pre, this.o.seed);
    this.trainView.epoch = epoch;
    this.valView = new TransformedDataset(this.o.val, pre, this.o.seed);
    this.normalisation = n;
  }

  /** The exchanged normalisation, when the task carries one. */
  private applyConfig(config: FitConfig | EvaluateConfig): void {
    const n = normalisationFromConfig(config);
    if (n) this.useNormalisation(n);
  }

  /** Training-data statistics for the federated normalisation: DP-noised and charged with the node's privacy settings. */
  async statistics(): Promise<DatasetStatistics> {
    return nodeStatistics(this.o.train, this.o.privacy);
  }

  async initialWeights(): Promise<NamedTensor[]> {
    return readWeights(this.model);
  }

  async fit(weights: Float32Array[], config: FitConfig): Promise<FitOutput> {
    // Charged (or refused) before the global weights are even loaded: no step runs uncharged.
    const dpSteps = this.dp ? this.dp.stepsFor(config) : 0;
    if (this.dp) this.dp.charge(config, dpSteps);
    this.applyConfig(config);
    writeWeights(this.model, weights);
    const lr = typeof config.lr === 'number' ? config.lr : this.o.optimizer.lr;
    setLearningRate(this.optimizer, lr);
    const mu = config.proximalMu ?? 0;
    const vars = this.model.trainableWeights.map((v) => v.read() as tf.Variable);
    const global = mu > 0 ? vars.map((v) => tf.clone(v)) : [];
    const lossFn = (logits: tf.Tensor2D, labels: tf.Tensor1D) => weightedCrossEntropy(logits, labels, this.classWeights);
    const step = this.dp?.gradientStep ?? this.o.gradientStep ?? standardGradientStep;
    const applyStep = async (batch: Batch): Promise<number> => {
      const { loss, grads } = await step(batch, this.model, lossFn);
      if (mu > 0) {
        // FedProx: the gradient of mu/2 ||w - w_global||^2 is mu (w - w_global); data-independent, so added after the DP noise.
        vars.forEach((v, i) => {
          const g = grads[v.name];
          if (g) grads[v.name] = tf.tidy(() => tf.add(g, tf.mul(tf.sub(v, global[i]!), mu)));
          g?.dispose();
        });
      }
      applyUpdate(this.optimizer, grads, vars, this.o.optimizer.weightDecay);
      await yieldToEventLoop();
      return loss;
    };
    if (this.dp) {
      const dp = this.dp;
      // Batches from the CSPRNG sampler, independent of any data order; the loss is not reported (it is not private).
      for (let s = 0; s < dpSteps; s++) await applyStep(await loadBatch(this.trainView, dp.sampler.drawBatch()));
      tf.dispose(global);
      const numSamples = Math.max(1, Math.round(dpSteps * dp.sampler.expectedBatchSize));
      return { weights: readWeights(this.model).map((w) => w.data), numSamples, metrics: dp.metrics(dpSteps) };
    }
    const budget = config.syncEveryNBatches ?? Infinity;
    const epochs = config.syncEveryNBatches ? Infinity : (config.localEpochs ?? 1);
    let batchesDone = 0;
    let seen = 0;
    let lossSum = 0;
    for (let e = 0; e < epochs && batchesDone < budget; ) {
      this.trainView.epoch = this.epoch;
      const seed = (this.o.seed * 7919 + this.epoch) >>> 0;
      for await (const batch of batches(this.trainView, { batchSize: this.o.batchSize, shuffle: true, seed, skip: this.position })) {
        const loss = await applyStep(batch);
        this.position += batch.size;
        seen += batch.size;
        lossSum += loss * batch.size;
        batchesDone++;
        if (batchesDone >= budget) break;
      }
      if (this.position >= this.o.train.length) {
        this.epoch++;
        this.position = 0;
        e++;
      }
    }
    tf.dispose(global);
    return { weights: readWeights(this.model).map((w) => w.data), numSamples: seen, metrics: { loss: lossSum / Math.max(seen, 1) } };
  }

  async evaluate(weights: Float32Array[], config: EvaluateConfig): Promise<EvaluateOutput> {
    this.applyConfig(config);
    writeWeights(this.model, weights);
    await yieldToEventLoop();
    const m = await evaluate(this.model, this.valView);
    const metrics: Record<string, number> = { accuracy: m.accuracy, mcc: m.mcc, loss: m.loss ?? NaN };
    // A site whose validation data holds one class has no AUC; leave it out rather than send NaN.
    if (Number.isFinite(m.auc)) metrics.auc = m.auc;
    if (m.confusion.length === 2) {
      const [[tn, fp], [fn, tp]] = m.confusion as [[number, number], [number, number]];
      Object.assign(metrics, { tp, fp, tn, fn });
    }
    return { numSamples: m.n, metrics };
  }
}
