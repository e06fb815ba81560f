/**
 * What a node needs from local training. The federation layer knows nothing
 * about models: it hands the trainer the global weights (one Float32Array per
 * tensor, in the model's order) and the round's config, and sends back what
 * the trainer returns. The tfjs trainer implements this interface.
 */
import type { ConfigScalar, EvaluateConfig, FitConfig } from './fit-config.js';
import type { DatasetStatistics } from '../dp/statistics/federated-statistics.js';
import type { NamedWeights } from '../training/weights.js';
import { PrivmedError } from '../common/errors.js';
import type { LedgerHead } from '../accounting/index.js';

/**
 * Thrown by a trainer that declines a fit task (e.g. its privacy budget is
 * spent): the node answers the task with the reason instead of weights and
 * stays connected; the coordinator records it as rejected and goes on without it.
 */
export class FitRefused extends PrivmedError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options);
    this.name = 'FitRefused';
  }
}

export interface FitOutput {
  weights: Float32Array[];
  /** Examples used in this fit (with syncEveryNBatches: the examples of those batches). */
  numSamples: number;
  metrics: Record<string, number>;
}

export interface EvaluateOutput {
  /** Validation examples scored. */
  numSamples: number;
  /**
   * For binary tasks include the confusion counts tp, fp, tn, fn: the
   * coordinator then computes the federated MCC exactly.
   */
  metrics: Record<string, number>;
}

/** How far the fit in progress is: batches done of how many (null when unknown), examples seen. */
export interface FitProgress {
  readonly batches: number;
  readonly totalBatches: number | null;
  readonly samples: number;
}

export interface LocalTrainer {
  /** Reports each batch of a fit (live views); optional, a trainer without it reports nothing. */
  setProgressListener?(listener: ((p: FitProgress) => void) | null): void;
  /**
   * Trains from `weights` for config.localEpochs epochs, or for
   * config.syncEveryNBatches batches continuing where the previous fit
   * stopped; with config.proximalMu > 0 adds the FedProx term
   * mu/2 * ||w - weights||^2 to the loss.
   */
  fit(weights: Float32Array[], config: FitConfig): Promise<FitOutput>;
  evaluate(weights: Float32Array[], config: EvaluateConfig): Promise<EvaluateOutput>;
  /** The names and shapes of the model's weights: a node refuses tasks whose weights do not fit them. */
  modelSpecs?(): Promise<{ name: string; shape: number[] }[]>;
  /** Freshly initialised weights; asked only when the coordinator starts without an initial model. */
  initialWeights?(): Promise<NamedWeights[]>;
  /**
   * The training data's statistics for the federated normalisation
   * (dp/statistics/federated-statistics.ts), DP-noised and charged when the node trains with DP.
   * Asked once per run, before round 1, when the coordinator has
   * exchangeStatistics on; the global mean/std then arrive with every fit and
   * evaluate task (config keys normMean, normStd). `request` is the statistics task's config:
   * with statistics: 'stain' (fit-config.ts) the tiles' stain statistics in the exchange's shape
   * (stainAsExchanged), asked before the dataset statistics when the coordinator has exchangeStain
   * on; the federation's reference (stainMean, stainStd) then comes with every later task.
   */
  statistics?(request?: Readonly<Record<string, ConfigScalar>>): Promise<DatasetStatistics>;
  /** The head of the node's privacy ledger now, or null without one (no DP): reported with every reply. */
  ledgerHead?(): LedgerHead | null;
  /**
   * Throws LedgerIntegrityError, naming the ledger file, unless the node's
   * ledger still extends `recorded` (the head the coordinator stored from this node's last report).
   */
  verifyLedger?(recorded: LedgerHead, recordedWhere: string): void;
}
