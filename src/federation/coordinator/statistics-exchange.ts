/**
 * The statistics exchanges of a run, once each, before round 1, over the
 * connected nodes and through the run's aggregator (plain: each node's sums;
 * secure: only their sum):
 *
 * - exchangeStain: the nodes' stain statistics (raw tiles' CIELAB means and
 *   spreads, dp/statistics/stain-statistics.ts); the coordinator stores the
 *   federation's Reinhard reference, sent with every later task.
 * - exchangeStatistics: the nodes' dataset statistics (of their tiles
 *   normalised to that reference, when there is one); the coordinator stores
 *   the global mean/std.
 *
 * Both are the same exchange (one task, one aggregator call) asking for
 * another kind of statistics. A resumed run reads the stored numbers back and
 * asks no node again: a second release would cost the DP nodes budget and
 * could change the preprocessing mid-run.
 */
import { PrivmedError } from '../../common/errors.js';
import type { ChannelStats } from '../../data/preprocess/normalize.js';
import type { StainSpec } from '../../data/stain/stain-spec.js';
import { normalisationOf, type DatasetStatistics } from '../wire/statistics.js';
import { flooredWarning } from '../../dp/statistics/exact-sums.js';
import { stainFromExchanged, stainReferenceFromSum } from '../../dp/statistics/stain-statistics.js';
import { STATISTICS_KIND_KEY } from '../../site/fit-config.js';
import type { ConfigRecord } from '../wire/config-values.js';
import { describeFailures, type RoundLoopContext } from './round-context.js';

type WaitForNodes = (need: number) => Promise<string[]>;

/** One exchange, retried up to maxRoundAttempts: the sums over at least minNodes nodes, and how many. */
async function exchange(ctx: RoundLoopContext, waitForNodes: WaitForNodes, config: ConfigRecord, what: 'statistics' | 'stain'): Promise<{ total: DatasetStatistics; nodes: number }> {
  const { config: run, events } = ctx;
  const go = ctx.aggregator.runStatistics?.bind(ctx.aggregator);
  if (!go) throw new PrivmedError(`the '${ctx.aggregator.name}' aggregation cannot exchange statistics`, { hint: `set ${what === 'stain' ? 'exchangeStain' : 'exchangeStatistics'}: false` });
  const label = what === 'stain' ? 'stain statistics' : 'statistics';
  for (let attempt = 1; ; attempt++) {
    const nodes = await waitForNodes(run.minAvailableNodes ?? run.minNodes);
    const outcome = await go({ attempt, nodes, config, deadline: Date.now() + run.roundTimeoutSec * 1000, exchange: ctx.exchange });
    if (ctx.signal.aborted) throw new PrivmedError('the coordinator was stopped');
    if (outcome.total && outcome.contributors.length >= run.minNodes) return { total: outcome.total, nodes: outcome.contributors.length };
    let reason = outcome.reason ?? `${outcome.contributors.length} nodes reported ${label}, need ${run.minNodes}`;
    if (outcome.failures.length) reason += `: ${describeFailures(outcome.failures)}`;
    const willRetry = attempt < run.maxRoundAttempts;
    events({ type: 'statistics-failed', what, attempt, reason, willRetry });
    if (!willRetry) throw new PrivmedError(`the ${label} exchange failed ${attempt} times; last: ${reason}`);
  }
}

/** The run's dataset normalisation; `stain` is the exchanged reference the nodes normalise their tiles to first (its config keys). */
export async function ensureStatistics(ctx: RoundLoopContext, waitForNodes: WaitForNodes, stain: ConfigRecord = {}): Promise<ChannelStats> {
  const { store, runId, events } = ctx;
  const stored = store.loadStatistics(runId);
  if (stored) {
    events({ type: 'statistics', mean: stored.mean, std: stored.std, nodes: stored.nodes, reused: true });
    return { mean: stored.mean, std: stored.std };
  }
  const { total, nodes } = await exchange(ctx, waitForNodes, { ...stain }, 'statistics');
  const n = normalisationOf(total);
  store.saveStatistics(runId, { ...n, imageCount: total.count, nodes, aggregation: ctx.aggregator.name });
  const warning = flooredWarning(n, 'statistics exchange');
  events({ type: 'statistics', mean: n.mean, std: n.std, nodes, reused: false, ...(warning ? { warning } : {}) });
  return n;
}

/** The federation's Reinhard reference from the nodes' stain statistics (their sum only under secure aggregation). */
export async function ensureStainReference(ctx: RoundLoopContext, waitForNodes: WaitForNodes): Promise<Extract<StainSpec, { method: 'reinhard' }>> {
  const { store, runId, events } = ctx;
  const stored = store.loadStainReference(runId);
  if (stored) {
    events({ type: 'stain-reference', mean: stored.reference.mean, std: stored.reference.std, nodes: stored.nodes, reused: true });
    return stored.reference;
  }
  const { total, nodes } = await exchange(ctx, waitForNodes, { [STATISTICS_KIND_KEY]: 'stain' }, 'stain');
  const sums = stainFromExchanged(total);
  const reference = stainReferenceFromSum(sums.sums, sums.count);
  store.saveStainReference(runId, { reference, tileCount: sums.count, nodes, aggregation: ctx.aggregator.name });
  events({ type: 'stain-reference', mean: reference.mean, std: reference.std, nodes, reused: false });
  return reference;
}
