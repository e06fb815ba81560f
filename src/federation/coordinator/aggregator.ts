/**
 * How the fit phase of a round turns node work into input for the strategy.
 *
 * The plain aggregator asks each node for its model (one task per node) and
 * hands every validated update to the strategy. A secure aggregator (SecAgg+,
 * src/secagg) runs several exchanges instead - key advertisement, share
 * distribution, masked upload, unmasking - using STEP tasks whose stage and
 * payload it defines, and returns a single pre-aggregated FitResult: the
 * coordinator then never sees an individual update. The round loop does not
 * care which one runs: it only needs the results and who took part.
 */
import type { ConfigRecord } from '../wire/config-values.js';
import type { NamedTensor, TensorSpec } from '../wire/tensors.js';
import type { TensorManifest__Output } from '../wire/messages.js';
import type { FitResult, Metrics, Weights } from '../strategy/types.js';
import type { DatasetStatistics } from '../wire/statistics.js';
import type { Exchange, NodeFailure } from './exchange.js';

export interface FitRound {
  round: number;
  attempt: number;
  /** Per-node fit configuration chosen by the strategy (its keys are the cohort). */
  fitConfigs: ReadonlyMap<string, ConfigRecord>;
  global: {
    specs: TensorSpec[];
    weights: Weights;
    /** The global weights in wire form, encoded once for all nodes. */
    encoded: { manifest: TensorManifest__Output; payload: Buffer };
  };
  /** When the fit phase must be over (ms since the epoch). */
  deadline: number;
  exchange: Exchange;
  /** The coordinator's validation of one update against the global model: a refusal reason, or null. */
  checkUpdate(update: readonly NamedTensor[], numSamples: number): string | null;
}

export interface NodeContribution {
  node: string;
  /** Absent under secure aggregation: the coordinator never learns one node's count. */
  numSamples?: number;
  metrics: Metrics;
}

export interface FitPhaseOutcome {
  /** Input for Strategy.aggregateFit. */
  results: FitResult[];
  /** Nodes whose work went into the results (counted against minNodes). */
  contributors: NodeContribution[];
  failures: NodeFailure[];
  /** The protocol's own round metrics (recorded with the fit metrics). */
  metrics?: Metrics;
  /** Why the phase produced no result although nodes answered (e.g. secure aggregation fell below its threshold). */
  reason?: string;
}

/** The statistics exchange before round 1 (wire/statistics.ts), over the nodes connected then. */
export interface StatisticsRound {
  attempt: number;
  /** The first task's config: what is asked for (statistics: 'stain', site/fit-config.ts) and what the nodes need to answer (an exchanged stain reference). */
  config: ConfigRecord;
  nodes: readonly string[];
  deadline: number;
  exchange: Exchange;
}

export interface StatisticsOutcome {
  /** The sums over the contributors; null when the exchange failed. */
  total: DatasetStatistics | null;
  contributors: string[];
  failures: NodeFailure[];
  reason?: string;
}

/** Federated evaluation as one secure sum (wire/evaluation-vector.ts): the coordinator learns the federation's metrics only. */
export interface EvaluationRound {
  round: number;
  attempt: number;
  /** Per-node evaluate configuration (its keys are the nodes asked). */
  configs: ReadonlyMap<string, ConfigRecord>;
  /** The global model in wire form; absent when it lives at the nodes. */
  encoded?: { manifest: TensorManifest__Output; payload: Buffer };
  deadline: number;
  exchange: Exchange;
}

export interface EvaluationOutcome {
  /** The summed metrics; null when the exchange failed. */
  total: { numSamples: number; metrics: Metrics } | null;
  contributors: string[];
  failures: NodeFailure[];
  reason?: string;
}

export interface Aggregator {
  readonly name: string;
  runFit(round: FitRound): Promise<FitPhaseOutcome>;
  /** Present: evaluation metrics reach the coordinator only as a secure sum (never one node's). */
  runEvaluation?(round: EvaluationRound): Promise<EvaluationOutcome>;
  /** Absent: this aggregator cannot exchange statistics (exchangeStatistics must stay off). */
  runStatistics?(round: StatisticsRound): Promise<StatisticsOutcome>;
}
