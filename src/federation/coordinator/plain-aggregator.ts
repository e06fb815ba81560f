/** One fit task per node; every update is validated on arrival and passed on individually. */
import type { TaskSpec } from './task-board.js';
import type { Aggregator, FitPhaseOutcome, FitRound } from './aggregator.js';

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
}
