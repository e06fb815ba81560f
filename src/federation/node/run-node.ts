/**
 * The node process: joins the coordinator, keeps its session alive with
 * heartbeats, and works off tasks (fit, evaluate, aggregation steps) until the
 * coordinator says the run is over. It rides out coordinator restarts (it
 * rejoins when its session is unknown) for up to reconnectTimeoutSec.
 * `runNode` is what `privmed node --config` calls, with the tfjs trainer.
 */
import { specMismatch } from '../wire/tensors.js';
import * as grpc from '@grpc/grpc-js';
import { X509Certificate } from 'node:crypto';
import { PrivmedError } from '../../common/errors.js';
import type { JoinReply__Output } from '../wire/messages.js';
import type { EvaluateConfig, FitConfig } from '../../site/fit-config.js';
import { parseAddress } from '../../net/address.js';
import { allowInsecure, readTlsMaterial, type TlsMaterial } from '../../net/security.js';
import { parseNodeConfig, type NodeConfig } from './config.js';
import { CoordinatorClient, type Limits } from './coordinator-client.js';
import { FitRefused, type LocalTrainer } from '../../site/local-trainer.js';
import { refusalReply } from '../wire/refusal.js';
import type { NodeReply, ReceivedTask } from '../wire/task.js';
import { isEvaluationStage, isStatisticsStage } from '../protocols/registry.js';
import { defaultNodeAggregation } from './default-node-aggregation.js';
import type { NodeAggregation } from './node-aggregation.js';
import { probeTls } from '../../net/tls-probe.js';
import { classify, errorText, isGrpcError, sleep } from './grpc-failures.js';
import { HeartbeatThread } from './heartbeat-thread.js';

export type NodeEvent =
  | { type: 'joined'; rejoined: boolean }
  | { type: 'task'; kind: ReceivedTask['kind']; round: number }
  | { type: 'submitted'; kind: ReceivedTask['kind']; round: number; accepted: boolean; reason: string }
  | { type: 'reconnecting'; reason: string }
  | { type: 'finished'; message: string };

export interface NodeOptions {
  aggregation?: NodeAggregation;
  onEvent?: (event: NodeEvent) => void;
  log?: ((line: string) => void) | false;
  signal?: AbortSignal;
  /** The node's folder for protocol state (CKKS keys, the decoded global model); see NodeProtocolOptions. */
  stateDir?: string;
  /** false: heartbeats on this thread (many light nodes in one process); default a worker thread. */
  heartbeatThread?: boolean;
}

export interface NodeResult {
  message: string;
  fitsSubmitted: number;
  evaluationsSubmitted: number;
}

const SOFTWARE_VERSION = 'privmed-federation/1';

function describe(e: NodeEvent): string {
  switch (e.type) {
    case 'joined':
      return e.rejoined ? 'rejoined the coordinator' : 'joined the coordinator';
    case 'task':
      return `round ${e.round}: ${e.kind}`;
    case 'submitted':
      return `round ${e.round}: ${e.kind} result ${e.accepted ? 'accepted' : `REFUSED: ${e.reason}`}`;
    case 'reconnecting':
      return `coordinator unreachable (${e.reason}); retrying`;
    case 'finished':
      return `run over: ${e.message}`;
  }
}

function checkCertificateName(tls: TlsMaterial, name: string, certPath: string): void {
  const subject = new X509Certificate(tls.cert).subject;
  const cn = /^CN=(.*)$/m.exec(subject)?.[1];
  if (cn !== name) {
    throw new PrivmedError(`${certPath}: certificate is for '${cn ?? subject}', but this node is configured as '${name}'`, {
      hint: 'use the certificate issued for this node (privmed certs init --nodes ...)',
    });
  }
}

export async function runNode(rawConfig: unknown, trainer: LocalTrainer, options: NodeOptions = {}): Promise<NodeResult> {
  const config: NodeConfig = parseNodeConfig(rawConfig);
  const { host, port } = parseAddress(config.coordinator);
  let tls: TlsMaterial | null = null;
  let credentials: grpc.ChannelCredentials;
  if (config.insecure) {
    allowInsecure(host, `node ${config.name}`);
    credentials = grpc.credentials.createInsecure();
  } else {
    tls = readTlsMaterial(config.tls!);
    checkCertificateName(tls, config.name, config.tls!.cert);
    credentials = grpc.credentials.createSsl(tls.ca, tls.key, tls.cert);
  }
  const log = options.log === false ? null : (options.log ?? ((line: string) => process.stderr.write(`privmed node ${config.name}: ${line}\n`)));
  const emit = (e: NodeEvent) => {
    log?.(describe(e));
    options.onEvent?.(e);
  };
  // Never plain by default: a plain aggregation would answer a secure-aggregation task with clear weights.
  const nodeCredentials = tls ? { name: config.name, certPem: tls.cert.toString('utf8'), keyPem: tls.key.toString('utf8'), caPem: tls.ca.toString('utf8') } : undefined;
  const aggregation = options.aggregation ?? defaultNodeAggregation({ log: log ?? undefined, credentials: nodeCredentials, stateDir: options.stateDir });
  const client = new CoordinatorClient(config.coordinator, credentials, config.maxMessageBytes, config.callTimeoutSec * 1000);

  let session: JoinReply__Output | null = null;
  let joinedBefore = false;
  let lastContact = Date.now();
  let backoffMs = 200;
  // Set when a heartbeat says the run is over while we are busy (e.g. training for a round that timed out).
  let runOver = false;
  const result: NodeResult = { message: '', fitsSubmitted: 0, evaluationsSubmitted: 0 };

  // Beats from a worker thread: training may hold this thread past the coordinator's timeout (heartbeat-thread.ts).
  const heartbeats = new HeartbeatThread(config.coordinator, tls, config.maxMessageBytes, (reply) => {
    lastContact = Date.now();
    if (reply.finished) runOver = true;
    else if (!reply.known && session?.sessionId === reply.sessionId) session = null; // rejoin at the next call
  }, (sessionId) => client.heartbeat(sessionId), options.heartbeatThread ?? true);

  const limitsOf = (s: JoinReply__Output): Limits => ({ chunkBytes: s.chunkBytes, maxUpdateBytes: Number(s.maxUpdateBytes) });

  /**
   * The last reply, kept until the next task: when its upload breaks (a dropped
   * connection), the coordinator hands out the same task again and gets the
   * same bytes back. Computing it again would train (and charge) twice, and a
   * protocol step cannot be taken twice (SecAgg+ masks its input once).
   */
  let lastReply: { taskId: string; reply: NodeReply; withLedgerHead: boolean } | null = null;

  async function submit(s: JoinReply__Output, task: ReceivedTask, reply: NodeReply, withLedgerHead = true): Promise<void> {
    lastReply = { taskId: task.taskId, reply, withLedgerHead };
    const head = withLedgerHead ? (trainer.ledgerHead?.() ?? null) : null;
    const answer = await client.submitUpdate(s.sessionId, task.taskId, reply, limitsOf(s), head);
    emit({ type: 'submitted', kind: task.kind, round: task.round, accepted: answer.accepted, reason: answer.reason });
    if (answer.accepted && task.kind === 'fit') result.fitsSubmitted++;
  }

  /** A node that cannot (no trainer support) or will not (DP budget) take part says why and stays for the rounds. */
  async function statisticsReply(task: ReceivedTask): Promise<NodeReply> {
    const refuse = (reason: string): NodeReply => {
      log?.(`refusing the statistics exchange: ${reason}`);
      return refusalReply(reason);
    };
    if (!trainer.statistics || !aggregation.statistics) return refuse('this node cannot report dataset statistics');
    let stats;
    try {
      stats = await trainer.statistics(task.config);
    } catch (error) {
      if (!(error instanceof PrivmedError)) throw error;
      return refuse(error.message);
    }
    return aggregation.statistics(task, stats);
  }

  /** Why the task's weights cannot be this node's model (another architecture, a forged initial model), or null. */
  let ownSpecs: { name: string; shape: number[] }[] | null = null;
  async function modelMismatch(task: ReceivedTask): Promise<string | null> {
    if (!trainer.modelSpecs || !task.tensors) return null;
    ownSpecs ??= await trainer.modelSpecs();
    const mismatch = specMismatch(ownSpecs, task.tensors);
    return mismatch ? `the coordinator's model does not match this node's (${mismatch}); check model.arch and the run's initial model` : null;
  }

  /**
   * The budget cannot be reset by deleting or rewriting the ledger on this
   * node's disk: the head the coordinator recorded from this node's last
   * report must still be in it. Otherwise the node says why and stops.
   */
  async function checkLedger(s: JoinReply__Output, task: ReceivedTask): Promise<void> {
    if (!task.ledgerHead || !trainer.verifyLedger) return;
    try {
      trainer.verifyLedger(task.ledgerHead, "the coordinator (this node's last report)");
    } catch (error) {
      if (!(error instanceof PrivmedError)) throw error;
      log?.(`refusing to go on: ${error.message}`);
      // No head with it: the coordinator must keep the one it has.
      if (task.kind !== 'evaluate') await submit(s, task, refusalReply(error.message), false).catch(() => undefined);
      throw error;
    }
  }

  async function handle(s: JoinReply__Output, task: ReceivedTask): Promise<void> {
    emit({ type: 'task', kind: task.kind, round: task.round });
    await checkLedger(s, task);
    if (lastReply?.taskId === task.taskId) {
      log?.(`round ${task.round}: sending the ${task.kind} reply again (its upload broke)`);
      return submit(s, task, lastReply.reply, lastReply.withLedgerHead);
    }
    // A task without weights (the model lives at the nodes): the model this node decoded last.
    const weights = task.tensors?.map((t) => t.data) ?? aggregation.globalWeights?.() ?? [];
    const noModel = weights.length === 0 ? 'the task carries no model and this node has decoded none (it restarted?)' : null;
    const secureEvaluation = task.kind === 'step' && isEvaluationStage(task.stage);
    const mismatch = task.kind === 'fit' || task.kind === 'evaluate' || secureEvaluation ? (noModel ?? (await modelMismatch(task))) : null;
    if (mismatch) {
      // Refused, not fatal: the node stays connected and the coordinator learns why (a plain evaluation has no refusal: it lapses).
      log?.(`refusing round ${task.round} ${task.kind}: ${mismatch}`);
      if (task.kind === 'fit' || secureEvaluation) return submit(s, task, refusalReply(mismatch));
      emit({ type: 'submitted', kind: 'evaluate', round: task.round, accepted: false, reason: mismatch });
      return;
    }
    switch (task.kind) {
      case 'fit': {
        let output;
        try {
          output = await trainer.fit(weights, { ...task.config, round: task.round } as FitConfig);
        } catch (error) {
          if (!(error instanceof FitRefused)) throw error;
          // Declined (e.g. privacy budget spent): say why, carry no values, stay for later rounds.
          return submit(s, task, refusalReply(error.message));
        }
        return submit(s, task, await aggregation.afterFit(task, output));
      }
      case 'evaluate': {
        const output = await trainer.evaluate(weights, { ...task.config, round: task.round } as EvaluateConfig);
        const answer = await client.submitEvaluation({ sessionId: s.sessionId, taskId: task.taskId, numSamples: output.numSamples, metrics: output.metrics });
        emit({ type: 'submitted', kind: 'evaluate', round: task.round, accepted: answer.accepted, reason: answer.reason });
        if (answer.accepted) result.evaluationsSubmitted++;
        return;
      }
      case 'step':
        if (isStatisticsStage(task.stage)) return submit(s, task, await statisticsReply(task));
        if (secureEvaluation) {
          // Scored here, summed securely: this node's metrics never leave it alone.
          if (!aggregation.evaluation) return submit(s, task, refusalReply('this node cannot take part in a secure evaluation sum'));
          const output = await trainer.evaluate(weights, { ...task.config, round: task.round } as EvaluateConfig);
          return submit(s, task, await aggregation.evaluation(task, output));
        }
        return submit(s, task, await aggregation.step(task));
      case 'init': {
        if (!trainer.initialWeights) throw new PrivmedError('the coordinator has no initial model and this trainer cannot provide one');
        return submit(s, task, { tensors: await trainer.initialWeights(), numSamples: 1, metrics: {} });
      }
    }
  }

  try {
    while (!options.signal?.aborted) {
      try {
        if (!session) {
          session = await client.join(config.name, SOFTWARE_VERSION);
          emit({ type: 'joined', rejoined: joinedBefore });
          joinedBefore = true;
          heartbeats.session(session.sessionId, session.heartbeatIntervalMs);
        }
        const s = session;
        const next = await client.getTask(s.sessionId, limitsOf(s));
        lastContact = Date.now();
        backoffMs = 200;
        if (next.kind === 'finished') {
          result.message = next.message;
          emit({ type: 'finished', message: next.message });
          return result;
        }
        if (next.kind === 'wait') {
          if (next.retryAfterMs > 0) await sleep(next.retryAfterMs, options.signal);
          continue;
        }
        await heartbeats.ready; // training may block this thread: the worker must beat by then
        await handle(s, next);
        lastContact = Date.now();
        if (runOver) {
          result.message = 'the coordinator finished the run';
          emit({ type: 'finished', message: result.message });
          return result;
        }
      } catch (error) {
        if (!isGrpcError(error)) throw error; // the trainer's or our own: not a matter of retrying
        const kind = classify(error);
        if (kind === 'fatal') {
          throw new PrivmedError(`the coordinator refused node '${config.name}': ${errorText(error)}`, { cause: error });
        }
        if (kind === 'rejoin') {
          session = null;
          continue;
        }
        if (Date.now() - lastContact > config.reconnectTimeoutSec * 1000) {
          const diagnosis = tls ? await probeTls(host, port, tls) : null;
          throw new PrivmedError(
            `cannot reach the coordinator at ${config.coordinator} for ${config.reconnectTimeoutSec} s: ${diagnosis ?? errorText(error)}`,
            { cause: error, hint: 'check the address, that the coordinator runs, and that both use certificates from the same privmed certs init' },
          );
        }
        if (backoffMs === 200) emit({ type: 'reconnecting', reason: errorText(error) }); // once per outage
        await sleep(backoffMs, options.signal);
        backoffMs = Math.min(backoffMs * 2, 2000);
      }
    }
    result.message = 'stopped';
    return result;
  } finally {
    heartbeats.stop();
    client.close();
  }
}
