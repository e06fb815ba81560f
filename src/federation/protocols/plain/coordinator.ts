/** One fit task per node; every update is validated and added into a running sum on arrival. */
import type { TaskSpec } from '../../coordinator/task-board.js';
import { statisticsFromMetrics, type DatasetStatistics } from '../../wire/statistics.js';
import type { Aggregator, FitPhaseOutcome, FitRound, StatisticsOutcome, StatisticsRound } from '../../coordinator/aggregator.js';
import { acceptReply } from '../check-reply.js';
import { elementCount } from '../../wire/tensors.js';
import { WeightedSum } from '../../strategy/weighted-average.js';

/** The task stages of plain aggregation: the fit task carries none. */
export const PLAIN_STAGES = { fit: '', statistics: 'statistics/plain' } as const;

export class PlainAggregator implements Aggregator {
  readonly name = 'plain';

  /**
   * Each update is checked and added into a running weighted sum as it
   * arrives, then dropped: the round holds one float64 sum per tensor, not
   * one update per node. The strategy gets one pre-aggregated result (the
   * weighted mean, as weightedAverageWeights computes it); every strategy
   * here is a weighted average (FedAvg, FedProx, FedAdam) and gives the same
   * model from it.
   */
  async runFit(r: FitRound): Promise<FitPhaseOutcome> {
    const sum = new WeightedSum(r.global.specs.map((s) => elementCount(s.shape)));
    const requests = new Map<string, TaskSpec>();
    for (const [node, config] of r.fitConfigs) {
      requests.set(node, {
        kind: 'fit',
        round: r.round,
        config,
        weights: r.global.encoded,
        expect: r.global.specs,
        check: (reply) => {
          const problem = reply.tensors ? r.checkUpdate(reply.tensors, reply.numSamples) : 'the reply carries no weights';
          if (problem) return problem;
          // The check runs only while the task is open, and the reply is accepted right after it (submit-update.ts).
          sum.add(reply.tensors!.map((t) => t.data), reply.numSamples, reply.metrics);
          reply.tensors = null;
          return null;
        },
      });
    }
    const { replies, failures } = await r.exchange(requests, r.deadline);
    const outcome: FitPhaseOutcome = { results: [], contributors: [], failures };
    for (const [node, reply] of replies) outcome.contributors.push({ node, numSamples: reply.numSamples, metrics: reply.metrics });
    if (sum.count > 0 && sum.totalSamples > 0) {
      outcome.results.push({ node: `<aggregate of ${sum.count} nodes>`, weights: sum.mean(), numSamples: sum.totalSamples, metrics: sum.meanMetrics() });
    }
    return outcome;
  }

  /** Each node's statistics arrive in the clear (as reply metrics) and are summed here. */
  async runStatistics(r: StatisticsRound): Promise<StatisticsOutcome> {
    const received = new Map<string, DatasetStatistics>();
    const requests = new Map<string, TaskSpec>();
    for (const node of r.nodes) {
      requests.set(node, {
        kind: 'step',
        round: 0,
        config: r.config,
        stage: PLAIN_STAGES.statistics,
        expect: 'none',
        check: acceptReply((reply) => received.set(node, statisticsFromMetrics(reply.metrics, node))),
      });
    }
    const { replies, failures } = await r.exchange(requests, r.deadline);
    const contributors = [...replies.keys()].filter((n) => received.has(n)).sort();
    if (contributors.length === 0) return { total: null, contributors, failures };
    const first = received.get(contributors[0]!)!;
    const channels = first.sum.length;
    const mixed = contributors.find((n) => received.get(n)!.sum.length !== channels);
    if (mixed) return { total: null, contributors: [], failures, reason: `${mixed} reports ${received.get(mixed)!.sum.length} channels, ${contributors[0]} ${channels}` };
    const total: DatasetStatistics = { count: 0, sum: new Array<number>(channels).fill(0), sumSquares: new Array<number>(channels).fill(0) };
    for (const n of contributors) {
      const s = received.get(n)!;
      total.count += s.count;
      s.sum.forEach((v, c) => (total.sum[c]! += v));
      s.sumSquares.forEach((v, c) => (total.sumSquares[c]! += v));
    }
    return { total, contributors, failures };
  }
}
