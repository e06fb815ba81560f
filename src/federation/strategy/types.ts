/**
 * The aggregation strategy, after Flower's Strategy: it decides what each
 * node is asked to do in a round and how the answers become the next global
 * model. Weights are plain Float32Arrays, one per tensor, in the model's order.
 *
 * A strategy never talks to nodes itself; the coordinator's round loop does
 * (and, through an Aggregator, may run a multi-step protocol such as secure
 * aggregation, in which case aggregateFit sees one pre-aggregated result).
 */
import type { ConfigRecord } from '../wire/config-values.js';

export type Weights = Float32Array[];
export type Metrics = Record<string, number>;

export interface FitResult {
  /** The node, or a label such as '<secure aggregate of 3 nodes>' for a pre-aggregated result. */
  node: string;
  weights: Weights;
  /** Training examples behind the update: the FedAvg weight. */
  numSamples: number;
  metrics: Metrics;
}

export interface EvaluateResult {
  node: string;
  numSamples: number;
  metrics: Metrics;
}

export interface Failure {
  node: string;
  reason: string;
}

export interface FitAggregate {
  weights: Weights;
  metrics: Metrics;
}

export interface EvaluateAggregate {
  numSamples: number;
  metrics: Metrics;
}

/** Strategy state that must survive a coordinator restart (server optimiser moments, ...). */
export interface StrategyState {
  json: unknown;
  tensors: Float32Array[];
}

export interface AggregateFitContext {
  /** The global weights the round started from. */
  current: Weights;
  failures: readonly Failure[];
}

export interface Strategy {
  readonly name: string;
  /** The per-node fit configuration for a round; nodes not in the map sit the round out. */
  configureFit(round: number, nodes: readonly string[]): Map<string, ConfigRecord>;
  aggregateFit(round: number, results: readonly FitResult[], context: AggregateFitContext): FitAggregate;
  configureEvaluate(round: number, nodes: readonly string[]): Map<string, ConfigRecord>;
  aggregateEvaluate(round: number, results: readonly EvaluateResult[], failures: readonly Failure[]): EvaluateAggregate;
  /** Null for stateless strategies. */
  saveState(): StrategyState | null;
  loadState(state: StrategyState | null): void;
}
