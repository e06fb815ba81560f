/**
 * Secure aggregation of the fit phase: one SecAgg+ round (src/secagg) per
 * federated round attempt, over the nodes' tasks. The coordinator learns
 * the sample-weighted sum of the nodes' updates and the sum of their sample
 * counts - nothing about any single node's update or count - and hands the
 * strategy one pre-aggregated result: global + sum(n_k u_k) / sum(n_k).
 *
 *   1. FIT  + setup        nodes train, then advertise two fresh public keys  (deadline: roundTimeoutSec)
 *   2. STEP share-keys     encrypted Shamir shares for the neighbours           (each later stage: secagg.stageTimeoutSec)
 *   3. STEP masked-input   the masked, quantised update and count
 *   4. STEP unmask         shares that remove the masks from the sum
 *
 * A node that misses a stage's deadline, leaves, or sends something the
 * protocol refuses is out from then on (a dropout, which SecAgg+ survives).
 * If fewer than the threshold remain at any stage, the attempt fails with
 * the reason and the round loop retries it. Checks that need the plaintext
 * update (finite values, norm bound, sample count range) run at the node
 * before it masks anything (see node.ts).
 *
 * The statistics exchange before round 1 (wire/statistics.ts) runs the same
 * protocol, with a STEP statistics/secagg-setup task in place of the FIT.
 */
import { MaskPool } from './mask-pool.js';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PrivmedError } from '../../../common/errors.js';
import {
  chooseGraphParameters,
  decodeMessageOf,
  SecAggError,
  SecAggServer,
  type MessageOf,
  type SecAggResult,
} from '../../../secagg/index.js';
import {
  encodeSetupEnvelope,
  maskedVectorBytes,
  MASKED_VECTOR_TENSOR,
  SECAGG_ROUND_PREFIX,
  SECAGG_STAGES,
  SECAGG_EVALUATION_STAGE,
  SECAGG_STATISTICS_STAGE,
} from './envelope.js';
import { certificateVerifier } from './identity.js';
import { exchangeStage, stageTasks } from './stage-tasks.js';
import { applyMeanUpdate, secAggVectorLength } from './update-vector.js';
import { elementCount, specMismatch } from '../../wire/tensors.js';
import { STATISTICS_VECTOR_LENGTH, statisticsFromSum } from '../../wire/statistics.js';
import { EVALUATION_VECTOR_LENGTH, metricsFromEvaluationSum } from '../../wire/evaluation-vector.js';
import type { NodeReply } from '../../wire/task.js';
import type { Aggregator, EvaluationOutcome, EvaluationRound, FitPhaseOutcome, FitRound, StatisticsOutcome, StatisticsRound } from '../../coordinator/aggregator.js';
import type { Exchange, NodeFailure } from '../../coordinator/exchange.js';
import type { TaskSpec } from '../../coordinator/task-board.js';
import { publicPrivacyProblem } from '../../../site/fit-config.js';

/** The largest sample count a node may report when validation.maxNumSamples is not set: the fixed-point weight range. */
export const DEFAULT_SECAGG_MAX_SAMPLES = 100_000;

export interface SecAggAggregatorOptions {
  /** Update coordinates are clipped to [-clip, clip]. */
  clip: number;
  /** Deadline of each protocol stage after training. */
  stageTimeoutSec: number;
  /** Largest sample count of one node (the weight range of the fixed-point encoding). */
  maxSamples: number;
  /** Sent to the nodes, which refuse to send an update with a larger L2 norm. */
  maxUpdateNorm?: number;
  /** The federation CA's certificate file: rounds are authenticated (keys and survivor sets signed with the nodes' certificates); absent only without TLS. */
  caFile?: string;
}


interface ProtocolRun {
  round: number;
  attempt: number;
  cohort: string[];
  deadline: number;
  exchange: Exchange;
  vectorLength: number;
  clip: number;
  maxUpdateNorm: number | null;
  /** The first task's stage, part of the signed round id. */
  stage: string;
  firstTask(node: string, setupEnvelope: Buffer): TaskSpec;
}

type ProtocolOutcome =
  | { ok: true; result: SecAggResult; contributors: string[]; reported: ReadonlyMap<string, Record<string, number>>; failures: NodeFailure[] }
  | { ok: false; reason: string; failures: NodeFailure[] };

type NodeMessageKind = 'advertise-keys' | 'share-keys' | 'masked-input' | 'consistency-signature' | 'unmask-response';

export class SecAggAggregator implements Aggregator {
  readonly name = 'secagg';
  private caPem?: string;
  /** Worker threads that remove the masks of large rounds (mask-pool.ts). */
  private readonly maskPool = new MaskPool();

  constructor(private readonly options: SecAggAggregatorOptions) {}

  async runFit(r: FitRound): Promise<FitPhaseOutcome> {
    const parameters = r.global.specs.reduce((n, s) => n + elementCount(s.shape), 0);
    const run = await this.protocol({
      round: r.round,
      attempt: r.attempt,
      cohort: [...r.fitConfigs.keys()].sort(),
      deadline: r.deadline,
      exchange: r.exchange,
      vectorLength: secAggVectorLength(parameters),
      clip: this.options.clip,
      maxUpdateNorm: this.options.maxUpdateNorm ?? null,
      stage: SECAGG_STAGES.setup,
      firstTask: (node, payload) => ({
        kind: 'fit',
        round: r.round,
        config: r.fitConfigs.get(node)!,
        weights: r.global.encoded,
        stage: SECAGG_STAGES.setup,
        payload,
        expect: 'none',
      }),
    });
    if (!run.ok) return { results: [], contributors: [], failures: run.failures, reason: run.reason };
    try {
      return {
        results: [this.fitResult(r, run.result)],
        // Only what publicPrivacyProblem admits: the node's spent epsilon and delta.
        contributors: run.contributors.map((node) => ({ node, metrics: run.reported.get(node) ?? {} })),
        failures: run.failures,
      };
    } catch (e) {
      if (e instanceof SecAggError) return { results: [], contributors: [], failures: run.failures, reason: e.message };
      throw e;
    }
  }

  /**
   * The statistics exchange (wire/statistics.ts) as one SecAgg+ round: the
   * coordinator learns the count-weighted sum of the nodes' statistics
   * vectors and the total count, nothing of one node. Values lie in [0, 1],
   * so the clip is 1 (the finest quantisation).
   */
  async runStatistics(r: StatisticsRound): Promise<StatisticsOutcome> {
    const run = await this.protocol({
      round: 0,
      attempt: r.attempt,
      cohort: [...r.nodes].sort(),
      deadline: r.deadline,
      exchange: r.exchange,
      vectorLength: STATISTICS_VECTOR_LENGTH,
      clip: 1,
      maxUpdateNorm: null,
      stage: SECAGG_STATISTICS_STAGE,
      firstTask: (_node, payload) => ({ kind: 'step', round: 0, config: r.config, stage: SECAGG_STATISTICS_STAGE, payload, expect: 'none' }),
    });
    if (!run.ok) return { total: null, contributors: [], failures: run.failures, reason: run.reason };
    const { sum, weightSum, errorBound } = run.result;
    try {
      if (!(weightSum >= 1)) throw new PrivmedError(`the aggregated image count is ${weightSum}`);
      const total = statisticsFromSum(sum, weightSum, (errorBound.value + errorBound.weight) / Math.max(1, weightSum - errorBound.weight));
      return { total, contributors: run.contributors, failures: run.failures };
    } catch (e) {
      if (e instanceof PrivmedError) return { total: null, contributors: [], failures: run.failures, reason: e.message };
      throw e;
    }
  }

  /** Federated evaluation as one SecAgg+ round (wire/evaluation-vector.ts): the coordinator learns the sums only. */
  async runEvaluation(r: EvaluationRound): Promise<EvaluationOutcome> {
    const run = await this.protocol({
      round: r.round,
      attempt: r.attempt,
      cohort: [...r.configs.keys()].sort(),
      deadline: r.deadline,
      exchange: r.exchange,
      vectorLength: EVALUATION_VECTOR_LENGTH,
      clip: 1,
      maxUpdateNorm: null,
      stage: SECAGG_EVALUATION_STAGE,
      firstTask: (node, payload) => ({ kind: 'step', round: r.round, config: r.configs.get(node)!, stage: SECAGG_EVALUATION_STAGE, payload, expect: 'none', ...(r.encoded ? { weights: r.encoded } : {}) }),
    });
    if (!run.ok) return { total: null, contributors: [], failures: run.failures, reason: run.reason };
    const { sum, weightSum, errorBound } = run.result;
    try {
      return { total: metricsFromEvaluationSum(sum, weightSum, errorBound.value + errorBound.weight), contributors: run.contributors, failures: run.failures };
    } catch (e) {
      if (e instanceof PrivmedError) return { total: null, contributors: [], failures: run.failures, reason: e.message };
      throw e;
    }
  }

  /** One SecAgg+ round over the cohort; the first task (FIT or STEP) carries the setup envelope. */
  private async protocol(p: ProtocolRun): Promise<ProtocolOutcome> {
    const { cohort } = p;
    const failures = new Map<string, NodeFailure>();
    const reported = new Map<string, Record<string, number>>();
    const failed = (reason: string): ProtocolOutcome => ({ ok: false, failures: [...failures.values()], reason });
    if (cohort.length < 2) return failed(`secure aggregation needs at least 2 nodes in a round, the strategy chose ${cohort.length}`);

    // Ids are Shamir evaluation points; every message must carry the id of the node whose session sent it.
    const idOf = new Map(cohort.map((node, i) => [node, i + 1]));
    const nodeOf = new Map(cohort.map((node, i) => [i + 1, node]));
    const { degree, threshold } = chooseGraphParameters(cohort.length);
    const vectorLength = p.vectorLength;
    try {
      const caPem = this.options.caFile === undefined ? undefined : (this.caPem ??= readFileSync(this.options.caFile, 'utf8'));
      // Signed by every node: fresh (a random id), and naming the round, attempt and stage (node.ts checks them).
      const roundId = `${SECAGG_ROUND_PREFIX}${randomUUID()}/round-${p.round}/attempt-${p.attempt}/${p.stage}`;
      const params = { roundId, nodeIds: [...nodeOf.keys()], degree, threshold, vectorLength, clip: p.clip, maxWeight: this.options.maxSamples, authenticated: caPem !== undefined };
      const server = new SecAggServer(params, { verifier: caPem === undefined ? undefined : certificateVerifier(caPem, (id) => nodeOf.get(id)) });
      const decode = <K extends NodeMessageKind>(node: string, reply: NodeReply, kind: K): MessageOf<K> => {
        // A copy: decoded fields are views, and the server may keep some (shares) until the end of the round.
        const message = decodeMessageOf(Uint8Array.from(reply.payload ?? []), kind);
        const claimed = (message as { nodeId?: number }).nodeId;
        if (claimed !== idOf.get(node)) throw new SecAggError('protocol', `${node} sent a message as node ${claimed}, its id this round is ${idOf.get(node)}`);
        return message;
      };
      const stageDeadline = () => Date.now() + this.options.stageTimeoutSec * 1000;

      const setup = server.setupMessage();
      const firstTasks = new Map(
        cohort.map((node): [string, TaskSpec] => [
          node,
          p.firstTask(node, encodeSetupEnvelope({ nodeId: idOf.get(node)!, maxUpdateNorm: p.maxUpdateNorm, roster: cohort, setup })),
        ]),
      );
      await exchangeStage(p.exchange, failures, { name: SECAGG_STAGES.setup, deadline: p.deadline }, firstTasks, (node, reply) => {
        const problem = publicPrivacyProblem(reply.metrics);
        if (problem) throw new SecAggError('malformed', `${node}'s privacy report: ${problem}`);
        server.receiveAdvertiseKeys(decode(node, reply, 'advertise-keys'));
        reported.set(node, { ...reply.metrics });
      });

      const shareKeys = stageTasks(p.round, nodeOf, server.finishAdvertiseStage(), SECAGG_STAGES.shareKeys, 'none');
      await exchangeStage(p.exchange, failures, { name: SECAGG_STAGES.shareKeys, deadline: stageDeadline() }, shareKeys, (node, reply) =>
        server.receiveShareKeys(decode(node, reply, 'share-keys')),
      );

      // 'any', not the exact spec: a refusing node sends no tensor, and its reason should reach the log.
      const masked = stageTasks(p.round, nodeOf, server.finishShareKeysStage(), SECAGG_STAGES.maskedInput, 'any');
      const maskedSpec = [{ name: MASKED_VECTOR_TENSOR, shape: [vectorLength + 1] }];
      await exchangeStage(p.exchange, failures, { name: SECAGG_STAGES.maskedInput, deadline: stageDeadline() }, masked, (node, reply) => {
        const mismatch = reply.tensors ? specMismatch(maskedSpec, reply.tensors) : 'no masked vector';
        if (mismatch) throw new SecAggError('malformed', `${node}'s masked input: ${mismatch}`);
        server.receiveMaskedInput({ ...decode(node, reply, 'masked-input'), maskedVector: maskedVectorBytes(reply.tensors![0]!) });
      });

      // Authenticated rounds: the consistency check (every survivor signs U3) before any unmasking share is asked for.
      let requests;
      if (params.authenticated) {
        const checks = stageTasks(p.round, nodeOf, server.startConsistencyCheck(), SECAGG_STAGES.consistency, 'none');
        await exchangeStage(p.exchange, failures, { name: SECAGG_STAGES.consistency, deadline: stageDeadline() }, checks, (node, reply) =>
          server.receiveConsistencySignature(decode(node, reply, 'consistency-signature')),
        );
        requests = server.finishConsistencyStage();
      } else requests = server.finishMaskedInputStage();
      const unmask = stageTasks(p.round, nodeOf, requests, SECAGG_STAGES.unmask, 'none');
      await exchangeStage(p.exchange, failures, { name: SECAGG_STAGES.unmask, deadline: stageDeadline() }, unmask, (node, reply) =>
        server.receiveUnmaskResponse(decode(node, reply, 'unmask-response')),
      );

      const result = await server.finishAsync((acc, jobs) => this.maskPool.remove(acc, jobs));
      const contributors = result.contributors.map((id) => nodeOf.get(id)!);
      // A contributor that missed only the unmasking is still in the sum: it did not fail the round.
      for (const node of contributors) failures.delete(node);
      return { ok: true, result, contributors, reported, failures: [...failures.values()] };
    } catch (e) {
      if (e instanceof SecAggError) return failed(e.message);
      throw e;
    }
  }

  /** The pre-aggregated result, with what the coordinator may know about the round as metrics. */
  private fitResult(r: FitRound, result: SecAggResult) {
    const weightSum = result.weightSum;
    if (!(weightSum > 0)) throw new SecAggError('invalid-input', `the aggregated sample count is ${weightSum}`);
    const mean = result.sum.map((v) => v / weightSum);
    const { weights, clippedFraction } = applyMeanUpdate(r.global.weights, mean, this.options.clip);
    // |S'/W' - S/W| <= (eS + |S/W| eW) / (W' - eW), per coordinate.
    let largest = 0;
    for (let i = 0; i < mean.length - 1; i++) largest = Math.max(largest, Math.abs(mean[i]!));
    const errorBound = (result.errorBound.value + largest * result.errorBound.weight) / (weightSum - result.errorBound.weight);
    return {
      node: `<secure aggregate of ${result.contributors.length} nodes>`,
      weights,
      numSamples: Math.round(weightSum),
      metrics: { secaggDropped: result.dropped.length, secaggClippedFraction: clippedFraction, secaggErrorBound: errorBound },
    };
  }
}
