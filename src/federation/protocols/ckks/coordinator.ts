/**
 * CKKS aggregation in the fit phase (src/he; docs/he.md). The coordinator
 * relays key setup, adds ciphertexts and combines masked decryption shares:
 * it never learns an update, the sum, or the new global model, which only
 * the nodes decode (so the round loop keeps no model: `modelAtNodes`).
 *
 *   once  STEP advertise / deal / finish   signed X25519 adverts, CKG shares and sealed Shamir shares, the collective key
 *   1.    FIT  ckks/fit                    nodes train and upload their encrypted, pre-weighted update (round 1 carries the initial model)
 *   2.    STEP ckks/share                  t nodes send smudged, padded decryption shares of the sum's c1 (another set if one falls silent)
 *   3.    STEP ckks/open                   every node of the cohort opens the combined result: the new global model
 *
 * Key setup needs every node of the first cohort (the roster); later rounds
 * need t of them. The statistics exchange before round 1 runs SecAgg+.
 */
import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { PrivmedError } from '../../../common/errors.js';
import { DEFAULT_CKKS_PARAMS, createHeContext, defaultThreshold, type HeContext } from '../../../he/index.js';
import { publicPrivacyProblem } from '../../../site/fit-config.js';
import { elementCount, encodeTensors, manifestOf, specsOf } from '../../wire/tensors.js';
import type { Metrics } from '../../strategy/types.js';
import type { NodeReply } from '../../wire/task.js';
import type { Aggregator, EvaluationOutcome, EvaluationRound, FitPhaseOutcome, FitRound, StatisticsOutcome, StatisticsRound } from '../../coordinator/aggregator.js';
import type { NodeFailure } from '../../coordinator/exchange.js';
import type { TaskSpec } from '../../coordinator/task-board.js';
import { acceptReply } from '../check-reply.js';
import type { SecAggAggregator } from '../secagg/coordinator.js';
import { CKKS_STAGES, b64, bytesTensor, jsonPayload, readJson, tensorBytes } from './envelope.js';
import { CkksCoordinator, type DecryptionRequest } from './coordinator-state.js';
import { isAdvertJson, isKeyJson, isModelJson, type AdvertJson, type RunJson } from './messages.js';
import type { CkksRun } from './run-context.js';

export interface CkksAggregatorOptions {
  /** Shares needed to decrypt; default ceil(2n/3) of the roster. */
  threshold?: number;
  stageTimeoutSec: number;
  /** A node's weight is its sample count / maxSamples. */
  maxSamples: number;
  maxUpdateNorm?: number;
  /** Where the coordinator keeps each round's ciphertext sums (to resume at decryption). */
  stateDir: string;
  /** The statistics exchange and federated evaluation (sums only). */
  statistics: SecAggAggregator;
}

type Stage = (typeof CKKS_STAGES)[keyof typeof CKKS_STAGES];
type Accept = (node: string, reply: NodeReply) => void;

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function bytesWeights(parts: readonly Uint8Array[]): TaskSpec['weights'] {
  const t = bytesTensor(parts);
  return { manifest: manifestOf(specsOf([t])), payload: encodeTensors([t]) };
}

export class CkksAggregator implements Aggregator {
  readonly name = 'ckks';
  private he?: Promise<HeContext>;
  private keys: { run: CkksRun; state: CkksCoordinator } | null = null;

  constructor(private readonly options: CkksAggregatorOptions) {}

  runStatistics(r: StatisticsRound): Promise<StatisticsOutcome> {
    return this.options.statistics.runStatistics(r);
  }

  /** Evaluation counts as a SecAgg+ sum too: the coordinator never sees one node's (each scores the model it decoded). */
  runEvaluation(r: EvaluationRound): Promise<EvaluationOutcome> {
    return this.options.statistics.runEvaluation({ ...r, encoded: undefined });
  }

  async runFit(r: FitRound): Promise<FitPhaseOutcome> {
    const failures = new Map<string, NodeFailure>();
    try {
      // The key setup has its own stage deadlines: the time it took does not come out of the round's training time.
      const setupStarted = Date.now();
      this.keys ??= await this.keySetup(r, failures);
      const fitDeadline = r.deadline + (Date.now() - setupStarted);
      const { run, state } = this.keys;
      const cohort = [...r.fitConfigs.keys()].filter((n) => run.roster.includes(n)).sort();
      for (const n of r.fitConfigs.keys()) {
        if (!run.roster.includes(n)) failures.set(n, { node: n, status: 'rejected', reason: 'not in the CKKS key setup (it joined later)' });
      }
      const parameters = r.global.specs.reduce((n, s) => n + elementCount(s.shape), 0);
      const chunks = Math.ceil((parameters + 1) / DEFAULT_CKKS_PARAMS.polyModulusDegree);
      const rid = state.startRound(r.round, r.attempt, parameters);
      const reported = new Map<string, Metrics>();
      const fit = jsonPayload({ round: b64(rid), maxSamples: this.options.maxSamples, maxUpdateNorm: this.options.maxUpdateNorm ?? null });
      const fitTasks = new Map(
        cohort.map((node): [string, TaskSpec] => [
          node,
          // Round 1 starts every node from the public initial model; after it the model exists only at the nodes.
          { kind: 'fit', round: r.round, config: r.fitConfigs.get(node)!, stage: CKKS_STAGES.fit, payload: fit, expect: 'any', ...(r.round === 1 ? { weights: r.global.encoded } : {}) },
        ]),
      );
      await this.exchange(r.exchange, failures, CKKS_STAGES.fit, fitDeadline, fitTasks, (node, reply) => {
        const problem = publicPrivacyProblem(reply.metrics);
        if (problem) throw new PrivmedError(`${node}'s privacy report: ${problem}`);
        state.receiveUpload(node, tensorBytes(reply.tensors, chunks, `${node}'s upload`));
        reported.set(node, { ...reply.metrics });
      });
      const contributors = [...state.roundContributors];

      // Decryption: t shares; a silent node of T is replaced (the coordinator re-randomises the sum first).
      let alive = contributors;
      let attempts = 0;
      let request: DecryptionRequest;
      for (;;) {
        attempts++;
        request = state.decryptionRequest(alive);
        const payload = jsonPayload({ aggregate: b64(request.aggregate), active: request.active, chunks });
        const weights = bytesWeights(request.c1Frames);
        const tasks = new Map(request.nodes.map((node): [string, TaskSpec] => [node, this.step(r.round, CKKS_STAGES.share, payload, weights, 'any')]));
        const silent = await this.exchange(r.exchange, failures, CKKS_STAGES.share, this.deadline(), tasks, (node, reply) =>
          state.receiveShares(node, tensorBytes(reply.tensors, chunks, `${node}'s decryption share`)),
        );
        if (silent.length === 0) break;
        alive = alive.filter((n) => !silent.includes(n));
      }

      const combined = state.combined();
      const openPayload = jsonPayload({ aggregate: b64(request.aggregate), chunks });
      const openWeights = bytesWeights(combined);
      const digests = new Map<string, string>();
      const openTasks = new Map(cohort.map((node): [string, TaskSpec] => [node, this.step(r.round, CKKS_STAGES.open, openPayload, openWeights, 'none')]));
      await this.exchange(r.exchange, failures, CKKS_STAGES.open, this.deadline(), openTasks, (node, reply) =>
        digests.set(node, readJson(reply.payload ?? Buffer.alloc(0), `${node}'s model digest`, isModelJson).model),
      );
      if (new Set(digests.values()).size > 1) {
        throw new PrivmedError(`the nodes decoded different global models: ${[...digests].map(([n, d]) => `${n} ${d.slice(0, 12)}`).join(', ')}`);
      }
      // A contributor that missed only a later stage is still in the sum.
      for (const node of contributors) failures.delete(node);
      return {
        results: [],
        contributors: contributors.map((node) => ({ node, metrics: reported.get(node) ?? {} })),
        failures: [...failures.values()],
        metrics: { ckksDecryptionAttempts: attempts, ckksNodesWithModel: digests.size },
      };
    } catch (e) {
      if (!(e instanceof PrivmedError)) throw e;
      return { results: [], contributors: [], failures: [...failures.values()], reason: e.message };
    }
  }

  /** Once per coordinator process, over the first cohort: every node of it must take part. */
  private async keySetup(r: FitRound, failures: Map<string, NodeFailure>): Promise<{ run: CkksRun; state: CkksCoordinator }> {
    const roster = [...r.fitConfigs.keys()].sort();
    const threshold = this.options.threshold ?? defaultThreshold(roster.length);
    if (threshold > roster.length) throw new PrivmedError(`ckks.threshold ${threshold} exceeds the ${roster.length} nodes of the key setup`);
    const run: CkksRun = { runId: randomUUID(), roster, threshold, params: DEFAULT_CKKS_PARAMS };
    const he = await (this.he ??= createHeContext(DEFAULT_CKKS_PARAMS));
    const state = new CkksCoordinator(he, run, join(this.options.stateDir, `ckks-${run.runId}`));
    const n = roster.length;
    const all = <T>(got: Map<string, T>, what: string): void => {
      const missing = roster.filter((node) => !got.has(node));
      if (missing.length) throw new PrivmedError(`CKKS key setup: no ${what} from ${missing.join(', ')} (every node of the first round must take part)`);
    };
    const send = (stage: Stage, payload: Buffer, weightsOf: (node: string, i: number) => TaskSpec['weights'], expect: TaskSpec['expect']) =>
      new Map(roster.map((node, i): [string, TaskSpec] => [node, this.step(r.round, stage, payload, weightsOf(node, i), expect)]));

    const runJson: RunJson = { runId: run.runId, roster, threshold, params: DEFAULT_CKKS_PARAMS };
    const adverts = new Map<string, AdvertJson>();
    await this.exchange(r.exchange, failures, CKKS_STAGES.advertise, this.deadline(), send(CKKS_STAGES.advertise, jsonPayload(runJson), () => undefined, 'none'), (node, reply) => {
      const a = readJson(reply.payload ?? Buffer.alloc(0), `${node}'s key advert`, isAdvertJson);
      if (a.node !== node) throw new PrivmedError(`${node} advertised a key as '${a.node}'`);
      adverts.set(node, a);
    });
    all(adverts, 'key advert');

    const dealt = new Map<string, Uint8Array[]>();
    const advertsPayload = jsonPayload({ adverts: roster.map((node) => adverts.get(node)!) });
    await this.exchange(r.exchange, failures, CKKS_STAGES.deal, this.deadline(), send(CKKS_STAGES.deal, advertsPayload, () => undefined, 'any'), (node, reply) =>
      dealt.set(node, tensorBytes(reply.tensors, 1 + 2 * n, `${node}'s key dealing`)),
    );
    all(dealt, 'key dealing');

    const ckg = new Map(roster.map((node) => [node, dealt.get(node)![0]!]));
    const publicKey = sha256(state.setCollectiveKey(ckg));
    const keys = new Map<string, string>();
    // Node i gets every CKG share, the Shamir shares sealed to it, and the consortium key sealed to it by the roster's first node.
    const forNode = (_: string, i: number) => bytesWeights([...ckg.values(), ...roster.map((from) => dealt.get(from)![1 + i]!), dealt.get(roster[0]!)![1 + n + i]!]);
    await this.exchange(r.exchange, failures, CKKS_STAGES.finish, this.deadline(), send(CKKS_STAGES.finish, jsonPayload({}), forNode, 'none'), (node, reply) => {
      const key = readJson(reply.payload ?? Buffer.alloc(0), `${node}'s collective key`, isKeyJson).publicKey;
      if (key !== publicKey) throw new PrivmedError(`${node} computed another collective key than the CKG shares give`);
      keys.set(node, key);
    });
    all(keys, 'collective key');
    return { run, state };
  }

  private step(round: number, stage: Stage, payload: Buffer, weights: TaskSpec['weights'], expect: TaskSpec['expect']): TaskSpec {
    return { kind: 'step', round, config: {}, stage, payload, expect, ...(weights ? { weights } : {}) };
  }

  private deadline(): number {
    return Date.now() + this.options.stageTimeoutSec * 1000;
  }

  /** One exchange; returns the nodes that failed it (refused, malformed, or silent). */
  private async exchange(exchange: FitRound['exchange'], failures: Map<string, NodeFailure>, stage: Stage, deadline: number, tasks: Map<string, TaskSpec>, accept: Accept): Promise<string[]> {
    for (const [node, spec] of tasks) spec.check = acceptReply((reply) => accept(node, reply));
    const { failures: out } = await exchange(tasks, deadline);
    for (const f of out) if (!failures.has(f.node)) failures.set(f.node, { ...f, reason: `${stage}: ${f.reason}` });
    return out.map((f) => f.node);
  }
}
