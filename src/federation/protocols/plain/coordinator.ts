/** One fit task per node; every update is validated on arrival and passed on individually. */
import type { TaskSpec } from '../../coordinator/task-board.js';
import { statisticsFromMetrics, type DatasetStatistics } from '../../wire/statistics.js';
import type { Aggregator, FitPhaseOutcome, FitRound, StatisticsOutcome, StatisticsRound } from '../../coordinator/aggregator.js';
import { acceptReply } from '../check-reply.js';

/** The task stages of plain aggregation: the fit task carries none. */
export const PLAIN_STAGES = { fit: '', statistics: 'statistics/plain' } as const;

export class PlainAggregator implements Aggregator {
  readonly name = 'plain';

  async runFit(r: FitRound): Promise<FitPhaseOutcome> {
    const requests = new Map<string, TaskSpec>();
    for (const [node, config] of r.fitConfigs) {
      requests.set(node, {
        kind: 'fit',
        round: r.round,
        config,
        weights: r.global.encoded,
        expect: r.global.specs,
        check: (reply) =>
          reply.tensors ? r.checkUpdate(reply.tensors, reply.numSamples) : 'the reply carries no weights',
      });
    }
    const { replies, failures } = await r.exchange(requests, r.deadline);
    const outcome: FitPhaseOutcome = { results: [], contributors: [], failures };
    for (const [node, reply] of replies) {
      outcome.results.push({ node, weights: reply.tensors!.map((t) => t.data), numSamples: reply.numSamples, metrics: reply.metrics });
      outcome.contributors.push({ node, numSamples: reply.numSamples, metrics: reply.metrics });
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
        config: {},
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
