/**
 * The rounds of a run. Each round: wait for enough nodes, let the strategy
 * pick the cohort and fit config, run the fit phase through the aggregator,
 * refuse the round if fewer than minNodes valid results came back (retry it,
 * up to maxRoundAttempts), aggregate, evaluate the new global model on the
 * nodes' validation data, and commit everything in one transaction. A killed
 * coordinator resumes after the last committed round.
 *
 * Under a protocol that keeps the model at the nodes (modelAtNodes: ckks)
 * the coordinator holds only the initial model: the nodes apply the mean
 * update themselves (FedAvg/FedProx), evaluate the model they decoded, and a
 * round commits its metadata without a checkpoint.
 */
import { PrivmedError } from '../../common/errors.js';
import { manifestOf, encodeTensors, nameTensors, specsOf, checkSpecs, type TensorSpec } from '../wire/tensors.js';
import { checkUpdate } from '../strategy/update-validation.js';
import type { Metrics, Weights } from '../strategy/types.js';
import type { FitRound } from './aggregator.js';
import { BestRoundTracker } from './best-round.js';
import type { TaskSpec } from './task-board.js';
import type { ConfigRecord } from '../wire/config-values.js';
import { normalisationConfig, stainConfig } from '../../site/fit-config.js';
import { describeFailures, type RoundLoopContext } from './round-context.js';
import { ensureStainReference, ensureStatistics } from './statistics-exchange.js';
import { protocolByName } from '../protocols/registry.js';

export interface RunOutcome {
  status: 'completed' | 'stopped_early' | 'failed' | 'stopped';
  message: string;
  roundsCompleted: number;
  best: { round: number; metric: number } | null;
}

class RunFailed extends Error {}
class Stopped extends Error {}

function encoded(specs: TensorSpec[], weights: Weights): { manifest: ReturnType<typeof manifestOf>; payload: Buffer } {
  return { manifest: manifestOf(specs), payload: encodeTensors(nameTensors(specs, weights)) };
}

export async function runRounds(ctx: RoundLoopContext): Promise<RunOutcome> {
  const { config, store, runId, events } = ctx;
  const select = config.evaluate.select ?? (config.privacy ? 'last' : 'best');
  const tracker = new BestRoundTracker({ ...config.evaluate, select });
  let roundsCompleted = 0;
  try {
    const specs = await ensureInitialModel(ctx);
    // Sent with every fit and evaluate task; nothing when the run exchanges no statistics. The stain reference first: the dataset statistics are of normalised tiles.
    const wait = (need: number) => waitForNodes(ctx, need);
    const stain = config.exchangeStain ? stainConfig(await ensureStainReference(ctx, wait)) : {};
    const norm = { ...stain, ...(config.exchangeStatistics ? normalisationConfig(await ensureStatistics(ctx, wait, stain)) : {}) };
    let lastCompleted = store.lastCompletedRound(runId);
    const checkpoint = store.loadCheckpoint(runId, modelAtNodes(ctx) ? 0 : lastCompleted);
    let global = checkpoint.weights;
    ctx.strategy.loadState(checkpoint.strategyState);
    for (const r of store.completedRounds(runId)) tracker.observe(r.round, r.evalMetrics);
    roundsCompleted = lastCompleted;
    events({ type: 'run-started', runName: config.runName, resumedAfterRound: lastCompleted > 0 ? lastCompleted : null, totalRounds: config.rounds });

    for (let round = lastCompleted + 1; round <= config.rounds && !tracker.shouldStop(); round++) {
      let done = false;
      for (let attemptHere = 1; !done; attemptHere++) {
        const outcome = await runOneRound(ctx, round, specs, global, tracker, norm);
        if (outcome.ok) {
          global = outcome.weights;
          done = true;
        } else {
          const willRetry = attemptHere < config.maxRoundAttempts;
          events({ type: 'round-failed', round, attempt: outcome.attempt, reason: outcome.reason, willRetry });
          if (!willRetry) throw new RunFailed(`round ${round} failed ${attemptHere} times; last: ${outcome.reason}`);
        }
      }
      roundsCompleted = round;
      lastCompleted = round;
    }
    const stoppedEarly = tracker.shouldStop() && roundsCompleted < config.rounds;
    const message = stoppedEarly
      ? `stopped early after round ${roundsCompleted}: ${tracker.describeStop()}`
      : `${roundsCompleted} rounds completed` + (tracker.best ? `; ${select === 'last' ? 'kept the last round' : 'best round'} ${tracker.best.round} (${config.evaluate.metric} ${tracker.best.metric.toFixed(4)})` : '');
    const status = stoppedEarly ? 'stopped_early' : 'completed';
    store.finishRun(runId, status, message);
    return { status, message, roundsCompleted, best: tracker.best };
  } catch (e) {
    if (e instanceof Stopped || ctx.signal.aborted) {
      return { status: 'stopped', message: 'the coordinator was stopped', roundsCompleted, best: tracker.best };
    }
    if (!(e instanceof RunFailed) && !(e instanceof PrivmedError)) throw e;
    store.finishRun(runId, 'failed', e.message);
    return { status: 'failed', message: e.message, roundsCompleted, best: tracker.best };
  }
}

function modelAtNodes(ctx: RoundLoopContext): boolean {
  return protocolByName(ctx.config.aggregation).modelAtNodes === true;
}

function checkStopped(ctx: RoundLoopContext): void {
  if (ctx.signal.aborted) throw new Stopped();
}

async function waitForNodes(ctx: RoundLoopContext, need: number): Promise<string[]> {
  const deadline = Date.now() + ctx.config.waitForNodesTimeoutSec * 1000;
  let reported: string | null = null;
  for (;;) {
    checkStopped(ctx);
    const live = ctx.registry.liveNodes();
    if (live.length >= need) return live;
    const left = deadline - Date.now();
    if (left <= 0) {
      const missing = ctx.config.allowedNodes.filter((n) => !live.includes(n));
      throw new RunFailed(
        `only ${live.length} of the ${need} nodes needed connected within ${ctx.config.waitForNodesTimeoutSec} s (missing: ${missing.join(', ')})`,
      );
    }
    if (reported !== live.join(',')) {
      reported = live.join(',');
      ctx.events({ type: 'waiting-for-nodes', have: live, need });
    }
    await ctx.registry.changed.wait(Math.min(left, 1000));
  }
}

/** Stores the model of round 0 unless the run has one: given by the caller, or asked from the first node that joins. */
async function ensureInitialModel(ctx: RoundLoopContext): Promise<TensorSpec[]> {
  const { store, runId } = ctx;
  if (store.hasCheckpoint(runId)) {
    const stored = store.modelSpecs(runId);
    const given = ctx.initialWeights ? specsOf(ctx.initialWeights) : null;
    // A restart with another declared model would otherwise go on silently with the stored one.
    if (given && JSON.stringify(given) !== JSON.stringify(specsOf(stored))) {
      throw new RunFailed(`run '${ctx.config.runName}' was started with another model (${stored.length} tensors, first '${stored[0]?.name}') than the configured one (${given.length}, first '${given[0]?.name}'); use a new runName`);
    }
    return stored;
  }
  let tensors = ctx.initialWeights;
  while (!tensors) {
    const [node] = await waitForNodes(ctx, 1);
    const spec: TaskSpec = {
      kind: 'init',
      round: 0,
      config: {},
      expect: 'any',
      check: (reply) => {
        const bad = reply.tensors?.find((t) => t.data.some((v) => !Number.isFinite(v)));
        return !reply.tensors || reply.tensors.length === 0 ? 'no weights' : bad ? `tensor '${bad.name}' has non-finite values` : null;
      },
    };
    const { replies, failures } = await ctx.exchange(new Map([[node!, spec]]), Date.now() + ctx.config.roundTimeoutSec * 1000);
    tensors = replies.get(node!)?.tensors ?? undefined;
    if (!tensors) ctx.events({ type: 'result', round: 0, attempt: 1, node: node!, phase: 'fit', status: failures[0]?.status ?? 'dropped', reason: failures[0]?.reason });
  }
  const specs = specsOf(tensors);
  checkSpecs(specs, 'initial model');
  const weights = tensors.map((t) => t.data);
  store.saveInitialCheckpoint(runId, specs, weights, null);
  return specs;
}

type RoundResult = { ok: true; weights: Weights } | { ok: false; attempt: number; reason: string };

async function runOneRound(
  ctx: RoundLoopContext,
  round: number,
  specs: TensorSpec[],
  global: Weights,
  tracker: BestRoundTracker,
  norm: ConfigRecord,
): Promise<RoundResult> {
  const { config, store, runId, events } = ctx;
  const live = await waitForNodes(ctx, config.minAvailableNodes ?? config.minNodes);
  const fitConfigs = new Map([...ctx.strategy.configureFit(round, live)].map(([node, c]) => [node, { ...c, ...norm }]));
  const cohort = [...fitConfigs.keys()];
  const attempt = store.startAttempt(runId, round, cohort);
  events({ type: 'round-started', round, attempt, nodes: cohort });
  if (cohort.length < config.minNodes) {
    const reason = `the strategy selected ${cohort.length} nodes, fewer than minNodes (${config.minNodes})`;
    store.failAttempt(runId, round, attempt, reason);
    return { ok: false, attempt, reason };
  }

  const fitRound: FitRound = {
    round,
    attempt,
    fitConfigs,
    global: { specs, weights: global, encoded: encoded(specs, global) },
    deadline: Date.now() + config.roundTimeoutSec * 1000,
    exchange: ctx.exchange,
    checkUpdate: (update, numSamples) => checkUpdate(update, numSamples, specs, global, config.validation),
  };
  const fit = await ctx.aggregator.runFit(fitRound);
  checkStopped(ctx);
  for (const c of fit.contributors) {
    store.recordNodeResult(runId, round, attempt, c.node, 'fit', 'accepted', { numSamples: c.numSamples, metrics: c.metrics });
    // What a node released in the clear (plain aggregation) goes to the live views; secure aggregation hides it.
    const epsilon = c.metrics.epsilon;
    events({
      type: 'result',
      round,
      attempt,
      node: c.node,
      phase: 'fit',
      status: 'accepted',
      ...(c.numSamples !== undefined ? { numSamples: c.numSamples } : {}),
      ...(epsilon !== undefined ? { epsilon } : {}),
    });
  }
  for (const f of fit.failures) {
    store.recordNodeResult(runId, round, attempt, f.node, 'fit', f.status, { message: f.reason });
    events({ type: 'result', round, attempt, node: f.node, phase: 'fit', status: f.status, reason: f.reason });
  }
  if (fit.contributors.length < config.minNodes) {
    const reason =
      `${fit.contributors.length} valid updates, need ${config.minNodes}` +
      (fit.reason ? `: ${fit.reason}` : '') +
      (fit.failures.length ? `${fit.reason ? '; ' : ': '}${describeFailures(fit.failures)}` : '');
    store.failAttempt(runId, round, attempt, reason);
    return { ok: false, attempt, reason };
  }

  const atNodes = modelAtNodes(ctx);
  const aggregate = atNodes ? null : ctx.strategy.aggregateFit(round, fit.results, { current: global, failures: fit.failures });
  const broken = aggregate ? aggregate.weights.findIndex((t) => t.some((v) => !Number.isFinite(v))) : -1;
  if (broken >= 0) throw new RunFailed(`round ${round}: the aggregated tensor '${specs[broken]!.name}' has non-finite values`);
  const fitMetrics: Metrics = { ...aggregate?.metrics, ...fit.metrics, nodes: fit.contributors.length };

  const evaluateDue = round % config.evaluate.every === 0 || round === config.rounds;
  const evalMetrics = evaluateDue ? await evaluate(ctx, round, attempt, specs, aggregate?.weights ?? null, norm) : null;
  checkStopped(ctx);
  const isBest = tracker.observe(round, evalMetrics);
  store.commitRound({
    runId,
    round,
    attempt,
    weights: aggregate?.weights ?? null,
    strategyState: ctx.strategy.saveState(),
    fitMetrics,
    evalMetrics,
    best: tracker.best,
    // With the model at the nodes only round 0's checkpoint exists, and it must stay.
    keepRounds: config.keepCheckpoints === 'all' || atNodes ? undefined : tracker.best ? [tracker.best.round] : [],
  });
  events({ type: 'round-completed', round, attempt, fitMetrics, evalMetrics, best: isBest });
  return { ok: true, weights: aggregate?.weights ?? global };
}

/** Federated evaluation: every connected node scores the new global model on its own validation data (null weights: the model it decoded). */
async function evaluate(ctx: RoundLoopContext, round: number, attempt: number, specs: TensorSpec[], weights: Weights | null, norm: ConfigRecord): Promise<Metrics | null> {
  const { config, store, runId, events } = ctx;
  const configs = ctx.strategy.configureEvaluate(round, ctx.registry.liveNodes());
  const wire = weights ? { weights: encoded(specs, weights) } : {};
  const deadline = Date.now() + (config.evaluate.timeoutSec ?? config.roundTimeoutSec) * 1000;
  if (ctx.aggregator.runEvaluation) {
    // SecAgg and CKKS: one secure sum; no node's metrics are seen or stored.
    const withNorm = new Map([...configs].map(([node, c]) => [node, { ...c, ...norm }]));
    const out = await ctx.aggregator.runEvaluation({ round, attempt, configs: withNorm, encoded: wire.weights, deadline, exchange: ctx.exchange });
    for (const node of out.contributors) store.recordNodeResult(runId, round, attempt, node, 'evaluate', 'accepted', {});
    for (const f of out.failures) {
      store.recordNodeResult(runId, round, attempt, f.node, 'evaluate', f.status, { message: f.reason });
      events({ type: 'result', round, attempt, node: f.node, phase: 'evaluate', status: f.status, reason: f.reason });
    }
    if (!out.total) return null;
    return { ...out.total.metrics, numSamples: out.total.numSamples, nodes: out.contributors.length };
  }
  const requests = new Map<string, TaskSpec>();
  for (const [node, c] of configs) requests.set(node, { kind: 'evaluate', round, config: { ...c, ...norm }, ...wire, expect: 'none' });
  const { replies, failures } = await ctx.exchange(requests, deadline);
  const results = [...replies].map(([node, r]) => ({ node, numSamples: r.numSamples, metrics: r.metrics }));
  for (const r of results) {
    store.recordNodeResult(runId, round, attempt, r.node, 'evaluate', 'accepted', { numSamples: r.numSamples, metrics: r.metrics });
  }
  for (const f of failures) {
    store.recordNodeResult(runId, round, attempt, f.node, 'evaluate', f.status, { message: f.reason });
    events({ type: 'result', round, attempt, node: f.node, phase: 'evaluate', status: f.status, reason: f.reason });
  }
  if (results.length === 0) return null;
  const aggregate = ctx.strategy.aggregateEvaluate(round, results, failures);
  return { ...aggregate.metrics, numSamples: aggregate.numSamples, nodes: results.length };
}
