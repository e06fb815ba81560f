/**
 * FedAvg (McMahan et al. 2017): the new global model is the average of the
 * nodes' models weighted by the number of training examples behind each.
 *
 * Why sample count and not PriMIA's batch count: the quantity FedAvg
 * approximates is the mean loss over all examples of all nodes, whose
 * per-node weight is n_k / n. A batch count equals that only when every node
 * uses the same batch size and its data divides evenly into batches; with
 * different batch sizes (common across hospitals with different hardware) or
 * a short last batch it over- or under-weights nodes. With sub-epoch sync
 * (syncEveryNBatches) the trainer reports the examples it actually used this
 * round, so the weighting stays right there too.
 */
import { weightedAverageMetrics, weightedAverageWeights } from './weighted-average.js';
import { aggregateEvaluationMetrics } from './evaluation-metrics.js';
import type { ConfigRecord } from '../wire/config-values.js';
import type {
  AggregateFitContext,
  EvaluateAggregate,
  EvaluateResult,
  Failure,
  FitAggregate,
  FitResult,
  Strategy,
  StrategyState,
} from './types.js';
import { totalSamples } from './weighted-average.js';

export interface FedAvgOptions {
  /** Sent to every node with each fit task (localEpochs or syncEveryNBatches, learning rate, ...). */
  fitConfig?: ConfigRecord;
  evaluateConfig?: ConfigRecord;
  /** Share of the available nodes asked to fit each round (at least one). */
  fractionFit?: number;
}

export class FedAvg implements Strategy {
  readonly name: string = 'fedavg';

  constructor(protected readonly options: FedAvgOptions = {}) {}

  configureFit(round: number, nodes: readonly string[]): Map<string, ConfigRecord> {
    const config = { ...this.options.fitConfig, ...this.extraFitConfig() };
    return new Map(selectNodes(round, nodes, this.options.fractionFit ?? 1).map((n) => [n, { ...config, round }]));
  }

  /** Hook for variants that add keys to the fit config (FedProx). */
  protected extraFitConfig(): ConfigRecord {
    return {};
  }

  aggregateFit(_round: number, results: readonly FitResult[], _context: AggregateFitContext): FitAggregate {
    return {
      weights: weightedAverageWeights(results),
      metrics: { ...weightedAverageMetrics(results), numSamples: totalSamples(results) },
    };
  }

  configureEvaluate(round: number, nodes: readonly string[]): Map<string, ConfigRecord> {
    return new Map(nodes.map((n) => [n, { ...this.options.evaluateConfig, round }]));
  }

  aggregateEvaluate(_round: number, results: readonly EvaluateResult[], _failures: readonly Failure[]): EvaluateAggregate {
    return { numSamples: totalSamples(results), metrics: aggregateEvaluationMetrics(results) };
  }

  saveState(): StrategyState | null {
    return null;
  }

  loadState(_state: StrategyState | null): void {}
}

/**
 * Deterministic per-round choice of a fraction of the nodes, so that a
 * resumed round asks the same nodes (when they are all available).
 */
export function selectNodes(round: number, nodes: readonly string[], fraction: number): string[] {
  const sorted = [...nodes].sort();
  if (fraction >= 1) return sorted;
  const count = Math.max(1, Math.round(fraction * sorted.length));
  // Rotate through the nodes so that, over rounds, everyone gets a turn.
  const start = ((round - 1) * count) % sorted.length;
  return Array.from({ length: count }, (_, i) => sorted[(start + i) % sorted.length]!);
}
