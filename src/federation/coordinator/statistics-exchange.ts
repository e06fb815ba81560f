/**
 * The statistics exchange of a run (exchangeStatistics: true): once, before
 * round 1, the connected nodes report their dataset statistics through the
 * run's aggregator (plain: each node's sums; secure: only their sum), and the
 * coordinator stores the global mean/std in the run's database. A resumed run
 * reads them back and asks no node again: a second release would cost the DP
 * nodes budget and could change the normalisation mid-run.
 */
import { PrivmedError } from '../../common/errors.js';
import type { ChannelStats } from '../../data/preprocess/normalize.js';
import { normalisationOf } from '../wire/statistics.js';
import { flooredWarning } from '../../dp/statistics/exact-sums.js';
import { describeFailures, type RoundLoopContext } from './round-context.js';

export async function ensureStatistics(ctx: RoundLoopContext, waitForNodes: (need: number) => Promise<string[]>): Promise<ChannelStats> {
  const { config, store, runId, events } = ctx;
  const stored = store.loadStatistics(runId);
  if (stored) {
    events({ type: 'statistics', mean: stored.mean, std: stored.std, nodes: stored.nodes, reused: true });
    return { mean: stored.mean, std: stored.std };
  }
  const run = ctx.aggregator.runStatistics?.bind(ctx.aggregator);
  if (!run) throw new PrivmedError(`the '${ctx.aggregator.name}' aggregation cannot exchange statistics`, { hint: 'set exchangeStatistics: false' });
  for (let attempt = 1; ; attempt++) {
    const nodes = await waitForNodes(config.minAvailableNodes ?? config.minNodes);
    const outcome = await run({ attempt, nodes, deadline: Date.now() + config.roundTimeoutSec * 1000, exchange: ctx.exchange });
    if (ctx.signal.aborted) throw new PrivmedError('the coordinator was stopped');
    let reason = outcome.reason;
    if (outcome.total && outcome.contributors.length >= config.minNodes) {
      const n = normalisationOf(outcome.total);
      store.saveStatistics(runId, { ...n, imageCount: outcome.total.count, nodes: outcome.contributors.length, aggregation: ctx.aggregator.name });
      const warning = flooredWarning(n, 'statistics exchange');
      events({ type: 'statistics', mean: n.mean, std: n.std, nodes: outcome.contributors.length, reused: false, ...(warning ? { warning } : {}) });
      return n;
    }
    reason ??= `${outcome.contributors.length} nodes reported statistics, need ${config.minNodes}`;
    if (outcome.failures.length) reason += `: ${describeFailures(outcome.failures)}`;
    const willRetry = attempt < config.maxRoundAttempts;
    events({ type: 'statistics-failed', attempt, reason, willRetry });
    if (!willRetry) throw new PrivmedError(`the statistics exchange failed ${attempt} times; last: ${reason}`);
  }
}
