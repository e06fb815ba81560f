/**
 * The LocalTrainer a hospital node runs: trains its copy of the model on its
 * own data with tfjs, starting from the global weights of each round. Data
 * never leaves this object; only weights and aggregate metrics do.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Dataset, Transform } from '../data/dataset.js';
import { normaliseTransform, type ChannelStats } from '../data/preprocess/normalize.js';
import type { DatasetStatistics } from '../dp/statistics/federated-statistics.js';
import { buildModel } from '../models/build.js';
import type { ModelSpec } from '../models/spec.js';
import { PrivmedError } from '../common/errors.js';
import { shuffledBatches, TrainingCore, type GradientStep, type RunLimit } from '../training/core.js';
import { initWeights } from '../training/init.js';
import type { OptimizerConfig } from '../training/optimizer.js';
import { classificationTask, type Task, type TaskMetrics } from '../training/task.js';
import { readWeights, weightSpecs, writeWeights, type NamedWeights } from '../training/weights.js';
import { normalisationFromConfig, PLANNED_ROUNDS_KEY, stainFromConfig, statisticsKindOf, type ConfigScalar, type EvaluateConfig, type FitConfig } from './fit-config.js';
import type { EvaluateOutput, FitOutput, FitProgress, LocalTrainer } from './local-trainer.js';
import { NodePrivacy, type NodePrivacyOptions } from './site-privacy.js';
import type { LedgerHead } from '../accounting/index.js';
import { nodeStainStatistics, nodeStatistics } from './site-statistics.js';
import type { StainedDataset } from '../data/stain/stained-dataset.js';
import { stainAsExchanged } from '../dp/statistics/stain-statistics.js';

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
  /** Before normalisation, at training only (colour jitter of [0, 1] pixels). */
  pixelAugment?: Transform;
  /** Label smoothing of the default classification task's training loss. */
  labelSmoothing?: number;
  gradientStep?: GradientStep;
  /** Train with DP-SGD (CSPRNG sampling and noise), charging the node's ledger. */
  privacy?: NodePrivacyOptions;
  /** What is learned; default classification with classWeights. */
  task?: Task<TaskMetrics>;
  /**
   * data.stain federated: the views `train` and `val` are (tiles as read until the federation's
   * reference arrives with a task, then normalised to it); the stain statistics come from train's raw tiles.
   */
  stain?: { train: StainedDataset; val: StainedDataset };
}

/**
 * A hospital's LocalTrainer: the training core on the site's data, from the
 * global weights of each round, continuing its data order across rounds
 * (sub-epoch sync). With privacy, DP-SGD through the DP facade, every fit
 * charged to the site's ledger before its first step.
 */
export class TfjsLocalTrainer implements LocalTrainer {
  private readonly model: tfl.LayersModel;
  private readonly core: TrainingCore<TaskMetrics>;
  private readonly task: Task<TaskMetrics>;
  /** The normalisation the views apply: the constructor's until the coordinator sends the exchanged one. */
  private normalisation!: ChannelStats;
  private readonly dp: NodePrivacy | null;
  private progress: ((p: FitProgress) => void) | null = null;

  constructor(private readonly o: TfjsTrainerOptions) {
    this.model = buildModel(o.spec);
    initWeights(this.model, o.seed);
    this.task = o.task ?? (classificationTask(o.classWeights, o.labelSmoothing ?? 0) as unknown as Task<TaskMetrics>);
    const taskLoss = o.task ? { loss: o.task.perSampleLoss, labels: o.task.labels } : undefined;
    // With DP the class weights live in the per-sample loss the facade built.
    this.dp = o.privacy ? new NodePrivacy(o.privacy, this.model, o.train, o.batchSize, o.classWeights, taskLoss) : null;
    this.core = new TrainingCore({
      model: this.model,
      task: this.task,
      train: o.train,
      val: o.val,
      optimizer: o.optimizer,
      seed: o.seed,
      source: this.dp ? this.dp.batchSource() : shuffledBatches(o.batchSize, o.seed),
      augment: o.augment,
      pixelAugment: o.pixelAugment,
      gradientStep: this.dp?.gradientStep ?? o.gradientStep,
    });
    this.useNormalisation(o.normalisation);
  }

  setProgressListener(listener: ((p: FitProgress) => void) | null): void {
    this.progress = listener;
  }

  /** The core's per-batch callback that reports progress, when someone listens. */
  private onBatch(totalBatches: number | null): RunLimit['onBatch'] {
    const listener = this.progress;
    if (!listener) return undefined;
    let batches = 0;
    let samples = 0;
    return ({ size }) => listener({ batches: ++batches, totalBatches, samples: (samples += size) });
  }

  /** Rebuilds the train/val views for `n`; a no-op when it is the one in use. */
  private useNormalisation(n: ChannelStats): void {
    if (this.normalisation && sameStats(this.normalisation, n)) return;
    const channels = this.o.train.info.channels;
    if (n.mean.length !== channels) throw new PrivmedError(`the coordinator's normalisation has ${n.mean.length} channel(s), this node's images ${channels}`);
    this.core.setPreprocess(normaliseTransform(n));
    this.normalisation = n;
  }

  /** The exchanged stain reference and normalisation, when the task carries them. */
  private applyConfig(config: Readonly<Record<string, ConfigScalar | undefined>>): void {
    const stain = stainFromConfig(config);
    if (stain) {
      if (!this.o.stain) throw new PrivmedError("the coordinator sends a federated stain reference, but this node's data.stain is not { method: reinhard, federated: true }");
      this.o.stain.train.use(stain);
      this.o.stain.val.use(stain);
    }
    const n = normalisationFromConfig(config);
    if (n) this.useNormalisation(n);
  }

  /**
   * Training-data statistics for the federated normalisation, or (request statistics: 'stain') the
   * raw tiles' stain statistics for the federated reference: DP-noised and charged with the node's privacy settings.
   * The dataset statistics are of the tiles as the model sees them: normalised to the reference the request carries.
   */
  async statistics(request: Readonly<Record<string, ConfigScalar>> = {}): Promise<DatasetStatistics> {
    if (statisticsKindOf(request) === 'stain') {
      if (!this.o.stain) throw new PrivmedError("this node's data.stain is not { method: reinhard, federated: true }: it takes no part in a stain exchange");
      return stainAsExchanged(await nodeStainStatistics(this.o.stain.train.raw, this.o.privacy));
    }
    this.applyConfig(request);
    return nodeStatistics(this.o.train, this.o.privacy);
  }

  ledgerHead(): LedgerHead | null {
    return this.dp?.ledgerHead() ?? null;
  }

  verifyLedger(recorded: LedgerHead, recordedWhere: string): void {
    this.dp?.verifyLedger(recorded, recordedWhere);
  }

  async modelSpecs(): Promise<{ name: string; shape: number[] }[]> {
    return weightSpecs(this.model);
  }

  async initialWeights(): Promise<NamedWeights[]> {
    return readWeights(this.model);
  }

  async fit(weights: Float32Array[], config: FitConfig): Promise<FitOutput> {
    // Charged (or refused) before the global weights are even loaded: no step runs uncharged.
    const dpSteps = this.dp ? this.dp.stepsFor(config) : 0;
    if (this.dp) this.dp.charge(config, dpSteps);
    this.applyConfig(config);
    writeWeights(this.model, weights);
    this.core.setLearningRate(roundLearningRate(typeof config.lr === 'number' ? config.lr : this.o.optimizer.lr, config));
    const proximalMu = config.proximalMu ?? 0;
    if (this.dp) {
      // Batches from the CSPRNG sampler, independent of any data order; the loss is not reported (it is not private).
      await this.core.run({ batches: dpSteps, proximalMu, onBatch: this.onBatch(dpSteps) });
      const numSamples = Math.max(1, Math.round(dpSteps * this.dp.sampler.expectedBatchSize));
      return { weights: readWeights(this.model).map((w) => w.data), numSamples, metrics: this.dp.metrics(dpSteps) };
    }
    const limit = config.syncEveryNBatches ? { batches: config.syncEveryNBatches } : { epochs: config.localEpochs ?? 1 };
    // A whole-epoch fit that starts mid-epoch (after sub-epoch rounds) does fewer batches; the total is then an upper bound.
    const total = config.syncEveryNBatches ?? (config.localEpochs ?? 1) * this.core.stepsPerEpoch();
    const r = await this.core.run({ ...limit, proximalMu, onBatch: this.onBatch(total) });
    return { weights: readWeights(this.model).map((w) => w.data), numSamples: r.seen, metrics: { loss: r.lossSum / Math.max(r.seen, 1) } };
  }

  async evaluate(weights: Float32Array[], config: EvaluateConfig): Promise<EvaluateOutput> {
    this.applyConfig(config);
    writeWeights(this.model, weights);
    await new Promise<void>((r) => setImmediate(r));
    const m = await this.core.evaluate();
    return { numSamples: m.n, metrics: this.task.summary(m) };
  }
}

/**
 * fit.lrSchedule 'cosine': the learning rate decays over the federation's planned rounds as a
 * central run's does over its epochs (round r of R trains at lr * (1 + cos(pi (r - 1) / R)) / 2).
 */
export function roundLearningRate(lr: number, config: FitConfig): number {
  const schedule = config.lrSchedule;
  if (schedule === undefined || schedule === 'constant') return lr;
  const planned = config[PLANNED_ROUNDS_KEY];
  if (schedule !== 'cosine') throw new PrivmedError(`fit.lrSchedule '${String(schedule)}': expected 'constant' or 'cosine'`);
  if (typeof planned !== 'number' || !(planned >= 1)) throw new PrivmedError(`fit.lrSchedule 'cosine' needs the planned rounds (${PLANNED_ROUNDS_KEY}) in the fit config, got ${String(planned)}`);
  const t = Math.min(Math.max((config.round - 1) / planned, 0), 1);
  return 0.5 * lr * (1 + Math.cos(Math.PI * t));
}
