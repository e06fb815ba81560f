/**
 * The stage-aware half of the gRPC fuzzer (test/federation/grpc-fuzz.test.ts):
 * mallory plays the protocol with a real node side (the default aggregation,
 * her certificate, a logistic trainer), so that tasks of every stage reach
 * her. Before each answer she sends out-of-order messages that must change
 * nothing (a forged session, a stale task id, the wrong RPC); at the next
 * stage of her target list she answers with something malformed instead
 * (junk, a flipped byte, wrong tensors, a replayed earlier answer,
 * impossible values, or the same answer twice). Once every target is done
 * she restarts a few times instead of answering: a burst of Joins, each of
 * which replaces her session and drops her open tasks.
 */
import { readFileSync } from 'node:fs';
import type * as grpc from '@grpc/grpc-js';
import { Rng } from '../../../src/common/rng.js';
import { CoordinatorClient, type Limits } from '../../../src/federation/node/coordinator-client.js';
import { defaultNodeAggregation } from '../../../src/federation/node/default-node-aggregation.js';
import { isEvaluationStage } from '../../../src/federation/protocols/registry.js';
import { refusalReply } from '../../../src/federation/wire/refusal.js';
import type { NodeReply, ReceivedTask } from '../../../src/federation/wire/task.js';
import { pkiPaths, nodeCertPaths } from '../../../src/net/certs/pki-files.js';
import type { EvaluateConfig, FitConfig } from '../../../src/site/fit-config.js';
import { LogisticTrainer } from '../fixtures/logistic-trainer.js';
import { nodeData } from '../fixtures/synthetic-data.js';
import { count, junkBytes, junkText, type Mallory, type Tally } from './fuzz-lanes.js';

/** Joins sent at once when she restarts instead of answering a task; and how often she does, once every target is done. */
const RESTART_JOINS = 12;
const RESTARTS = 3;

export interface PlayerOptions {
  address: string;
  credentials: grpc.ChannelCredentials;
  pkiDir: string;
  stateDir: string;
  seed: number;
  /** Stage keys (stageKey) to answer with junk, in this order. */
  targets: readonly string[];
  stop: () => boolean;
}

export interface PlayerReport {
  /** Tasks received, by stage key. */
  seen: Map<string, number>;
  /** Malformed answers sent, by stage key, with the variant and the coordinator's answer. */
  moves: { stage: string; variant: string; answer: string }[];
  /** What her own node side logged (e.g. why it refused a stage). */
  log: string[];
}

/** 'fit', 'evaluate', or kind:stage ('step:secagg/unmask'): how targets and coverage name a stage. */
function stageKey(task: Pick<ReceivedTask, 'kind' | 'stage'>): string {
  return task.stage ? `${task.kind}:${task.stage}` : task.kind;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function flipped(reply: NodeReply, rng: Rng): NodeReply {
  const payload = Buffer.from(reply.payload ?? []);
  if (payload.length === 0) return { ...reply, payload: junkBytes(rng, 64) };
  const at = rng.int(payload.length);
  payload[at] = payload[at]! ^ (1 << rng.int(8));
  return { ...reply, payload };
}

export async function playMallory(o: PlayerOptions, mallory: Mallory, tally: Tally): Promise<PlayerReport> {
  const rng = new Rng(o.seed);
  const report: PlayerReport = { seen: new Map(), moves: [], log: [] };
  const ca = pkiPaths(o.pkiDir).caCert;
  const own = nodeCertPaths(o.pkiDir, 'mallory');
  const aggregation = defaultNodeAggregation({
    credentials: { name: 'mallory', certPem: readFileSync(own.cert, 'utf8'), keyPem: readFileSync(own.key, 'utf8'), caPem: readFileSync(ca, 'utf8') },
    stateDir: o.stateDir,
    log: (line) => report.log.push(line.slice(0, 300)),
  });
  const { train, val } = nodeData(2);
  const trainer = new LogisticTrainer(train, val, { seed: 2 });
  const client = new CoordinatorClient(o.address, o.credentials, 64 << 20, 10_000);
  let limits: Limits = { chunkBytes: 1 << 20, maxUpdateBytes: 64 << 20 };
  let target = 0;
  let lastReply: NodeReply | null = null;

  /** Sends one message and counts the answer; an error is an answer too. */
  const call = async (what: () => Promise<{ accepted: boolean; reason: string }>): Promise<string> => {
    tally.sent++;
    try {
      const a = await what();
      count(tally, null);
      return a.accepted ? 'accepted' : `refused: ${a.reason}`;
    } catch (e) {
      count(tally, e as grpc.ServiceError);
      return `error: ${(e as Error).message}`;
    }
  };
  const join = async () => {
    tally.sent++;
    tally.joins++;
    try {
      const r = await client.join('mallory', 'fuzz');
      count(tally, null);
      mallory.sessionId = r.sessionId;
      limits = { chunkBytes: r.chunkBytes, maxUpdateBytes: Number(r.maxUpdateBytes) };
    } catch (e) {
      count(tally, e as grpc.ServiceError);
    }
  };
  /** Her open task is dropped at the first: the round goes on without her. Done before she polls again. */
  let restartsLeft = RESTARTS;
  const restart = () => Promise.all(Array.from({ length: RESTART_JOINS }, join));
  const submit = (task: ReceivedTask, reply: NodeReply, sessionId = mallory.sessionId, taskId = task.taskId) =>
    call(() => client.submitUpdate(sessionId, taskId, reply, limits));
  const submitEvaluation = (task: ReceivedTask, numSamples: number, metrics: Record<string, number>, sessionId = mallory.sessionId) =>
    call(() => client.submitEvaluation({ sessionId, taskId: task.taskId, numSamples, metrics }));

  /** The answer an honest node would send (a plain evaluation's goes with SubmitEvaluation). */
  async function honest(task: ReceivedTask): Promise<NodeReply | { evaluation: { numSamples: number; metrics: Record<string, number> } }> {
    const weights = task.tensors?.map((t) => t.data) ?? aggregation.globalWeights?.() ?? null;
    const config = { ...task.config, round: task.round };
    if (task.kind === 'fit') {
      if (!weights) return refusalReply('no model');
      return aggregation.afterFit(task, await trainer.fit(weights, config as FitConfig));
    }
    if (task.kind === 'evaluate') return { evaluation: await trainer.evaluate(weights ?? [], config as EvaluateConfig) };
    if (isEvaluationStage(task.stage)) {
      if (!weights) return refusalReply('no model');
      return aggregation.evaluation!(task, await trainer.evaluate(weights, config as EvaluateConfig));
    }
    return aggregation.step(task);
  }

  /** Out of order, before the answer: none of these may settle the task. */
  async function noise(task: ReceivedTask, answer: NodeReply | null): Promise<void> {
    const stale = mallory.answered.length ? mallory.answered[rng.int(mallory.answered.length)]! : junkText(rng);
    const sample = answer ?? lastReply ?? refusalReply('noise');
    await submit(task, sample, junkText(rng)); // a forged session
    await submit(task, lastReply ?? sample, mallory.sessionId, stale); // an earlier task, answered again
    if (task.kind !== 'evaluate') await submitEvaluation(task, 1, { tp: 1 }); // the wrong RPC for this task
  }

  async function move(task: ReceivedTask, answer: Awaited<ReturnType<typeof honest>>): Promise<void> {
    const key = stageKey(task);
    let variant: string;
    let result: string;
    if ('evaluation' in answer) {
      const variants: [string, () => Promise<string>][] = [
        ['huge-counts', () => submitEvaluation(task, 80, { ...answer.evaluation.metrics, tp: 1e300 })],
        ['negative-counts', () => submitEvaluation(task, 80, { tp: -1, fp: 81, tn: 0, fn: 0 })],
        ['nan-loss', () => submitEvaluation(task, answer.evaluation.numSamples, { ...answer.evaluation.metrics, loss: Number.NaN })],
        ['twice', async () => (await submitEvaluation(task, answer.evaluation.numSamples, answer.evaluation.metrics)) + ' / ' + (await submitEvaluation(task, answer.evaluation.numSamples, answer.evaluation.metrics))],
      ];
      [variant, result] = await pick(variants);
    } else {
      const variants: [string, () => Promise<string>][] = [
        ['junk-payload', () => submit(task, { tensors: null, numSamples: 0, metrics: {}, payload: junkBytes(rng, 300) })],
        ['flipped-byte', () => submit(task, flipped(answer, rng))],
        ['wrong-tensors', () => submit(task, { ...answer, tensors: [{ name: 'w', shape: [3], data: Float32Array.of(Number.NaN, 1, 2) }] })],
        ['replayed', () => submit(task, lastReply ?? refusalReply('nothing to replay'))],
        ['impossible-count', () => submit(task, { ...answer, numSamples: 2 ** 53 - 1, metrics: { loss: Number.POSITIVE_INFINITY } })],
        ['twice', async () => (await submit(task, answer)) + ' / ' + (await submit(task, answer))],
      ];
      [variant, result] = await pick(variants);
    }
    report.moves.push({ stage: key, variant, answer: result.slice(0, 160) });
  }

  async function pick(variants: [string, () => Promise<string>][]): Promise<[string, string]> {
    const [name, send] = variants[rng.int(variants.length)]!;
    return [name, await send()];
  }

  async function handle(task: ReceivedTask): Promise<void> {
    const key = stageKey(task);
    report.seen.set(key, (report.seen.get(key) ?? 0) + 1);
    const answer = await honest(task);
    await noise(task, 'evaluation' in answer ? null : answer);
    if (target < o.targets.length && key === o.targets[target]) {
      target++;
      await move(task, answer);
    } else if (target >= o.targets.length && restartsLeft > 0) {
      // A restart instead of an answer (only once every target is done: it may cost her the next run too).
      restartsLeft--;
      await restart();
    } else if ('evaluation' in answer) {
      await submitEvaluation(task, answer.evaluation.numSamples, answer.evaluation.metrics);
    } else {
      await submit(task, answer);
    }
    if (!('evaluation' in answer)) lastReply = answer;
    mallory.answered.push(task.taskId);
    if (mallory.answered.length > 50) mallory.answered.shift();
  }

  const beat = setInterval(() => void client.heartbeat(mallory.sessionId).catch(() => undefined), 500);
  try {
    await join();
    while (!o.stop()) {
      let next;
      try {
        tally.sent++;
        next = await client.getTask(mallory.sessionId, limits);
        count(tally, null);
      } catch (e) {
        count(tally, e as grpc.ServiceError);
        report.log.push(`poll: ${(e as Error).message.slice(0, 120)}`);
        if ((e as grpc.ServiceError).code === 9) await join(); // FAILED_PRECONDITION: her session was replaced
        else await sleep(50);
        continue;
      }
      if (next.kind === 'finished') break;
      if (next.kind === 'wait') await sleep(Math.min(1000, next.retryAfterMs));
      else await handle(next);
    }
  } finally {
    clearInterval(beat);
    client.close();
  }
  return report;
}
