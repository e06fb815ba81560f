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
 * before it masks anything (see node/secagg-node-aggregation.ts).
 */
import { randomUUID } from 'node:crypto';
import { PrivmedError } from '../../common/errors.js';
import {
  chooseGraphParameters,
  decodeMessageOf,
  encodeMessage,
  SecAggError,
  SecAggServer,
  type MessageOf,
  type SecAggMessage,
  type SecAggResult,
} from '../../secagg/index.js';
import {
  decodeRefusal,
  encodeSetupEnvelope,
  maskedVectorBytes,
  MASKED_VECTOR_TENSOR,
  SECAGG_STAGES,
  type SecAggStageName,
} from '../wire/secagg-envelope.js';
import { applyMeanUpdate, secAggVectorLength } from '../wire/secagg-update-vector.js';
import { elementCount, specMismatch } from '../wire/tensors.js';
import type { Aggregator, FitPhaseOutcome, FitRound } from './aggregator.js';
import type { NodeFailure } from './exchange.js';
import type { NodeReply, TaskSpec } from './task-board.js';

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
}

type Stage = { name: SecAggStageName; deadline: number };
type NodeMessageKind = 'advertise-keys' | 'share-keys' | 'masked-input' | 'unmask-response';
type Accept = (node: string, reply: NodeReply) => void;

export class SecAggAggregator implements Aggregator {
  readonly name = 'secagg';

  constructor(private readonly options: SecAggAggregatorOptions) {}

  async runFit(r: FitRound): Promise<FitPhaseOutcome> {
    const cohort = [...r.fitConfigs.keys()].sort();
    const failures = new Map<string, NodeFailure>();
    const failed = (reason: string): FitPhaseOutcome => ({ results: [], contributors: [], failures: [...failures.values()], reason });
    if (cohort.length < 2) return failed(`secure aggregation needs at least 2 nodes in a round, the strategy chose ${cohort.length}`);

    // Ids are Shamir evaluation points; every message must carry the id of the node whose session sent it.
    const idOf = new Map(cohort.map((node, i) => [node, i + 1]));
    const nodeOf = new Map(cohort.map((node, i) => [i + 1, node]));
    const parameters = r.global.specs.reduce((n, s) => n + elementCount(s.shape), 0);
    const { degree, threshold } = chooseGraphParameters(cohort.length);
    const vectorLength = secAggVectorLength(parameters);
    try {
      const server = new SecAggServer({
        roundId: `privmed/${randomUUID()}/round-${r.round}/attempt-${r.attempt}`,
        nodeIds: [...nodeOf.keys()],
        degree,
        threshold,
        vectorLength,
        clip: this.options.clip,
        maxWeight: this.options.maxSamples,
      });
      const decode = <K extends NodeMessageKind>(node: string, reply: NodeReply, kind: K): MessageOf<K> => {
        // A copy: decoded fields are views, and the server may keep some (shares) until the end of the round.
        const message = decodeMessageOf(Uint8Array.from(reply.payload), kind);
        const claimed = (message as { nodeId?: number }).nodeId;
        if (claimed !== idOf.get(node)) throw new SecAggError('protocol', `${node} sent a message as node ${claimed}, its id this round is ${idOf.get(node)}`);
        return message;
      };
      const stageDeadline = () => Date.now() + this.options.stageTimeoutSec * 1000;

      const setup = server.setupMessage();
      const fitTasks = new Map(
        cohort.map((node): [string, TaskSpec] => [
          node,
          {
            kind: 'fit',
            round: r.round,
            config: r.fitConfigs.get(node)!,
            weights: r.global.encoded,
            stage: SECAGG_STAGES.setup,
            payload: encodeSetupEnvelope({ nodeId: idOf.get(node)!, maxUpdateNorm: this.options.maxUpdateNorm ?? null, setup }),
            expect: 'none',
          },
        ]),
      );
      await this.exchange(r, failures, { name: SECAGG_STAGES.setup, deadline: r.deadline }, fitTasks, (node, reply) =>
        server.receiveAdvertiseKeys(decode(node, reply, 'advertise-keys')),
      );

      const shareKeys = this.steps(r, nodeOf, server.finishAdvertiseStage(), SECAGG_STAGES.shareKeys, 'none');
      await this.exchange(r, failures, { name: SECAGG_STAGES.shareKeys, deadline: stageDeadline() }, shareKeys, (node, reply) =>
        server.receiveShareKeys(decode(node, reply, 'share-keys')),
      );

      // 'any', not the exact spec: a refusing node sends no tensor, and its reason should reach the log.
      const masked = this.steps(r, nodeOf, server.finishShareKeysStage(), SECAGG_STAGES.maskedInput, 'any');
      const maskedSpec = [{ name: MASKED_VECTOR_TENSOR, shape: [vectorLength + 1] }];
      await this.exchange(r, failures, { name: SECAGG_STAGES.maskedInput, deadline: stageDeadline() }, masked, (node, reply) => {
        const mismatch = reply.tensors ? specMismatch(maskedSpec, reply.tensors) : 'no masked vector';
        if (mismatch) throw new SecAggError('malformed', `${node}'s masked input: ${mismatch}`);
        server.receiveMaskedInput({ ...decode(node, reply, 'masked-input'), maskedVector: maskedVectorBytes(reply.tensors![0]!) });
      });

      const unmask = this.steps(r, nodeOf, server.finishMaskedInputStage(), SECAGG_STAGES.unmask, 'none');
      await this.exchange(r, failures, { name: SECAGG_STAGES.unmask, deadline: stageDeadline() }, unmask, (node, reply) =>
        server.receiveUnmaskResponse(decode(node, reply, 'unmask-response')),
      );

      const result = server.finish();
      const contributors = result.contributors.map((id) => nodeOf.get(id)!);
      // A contributor that missed only the unmasking is still in the sum: it did not fail the round.
      for (const node of contributors) failures.delete(node);
      return {
        results: [this.fitResult(r, result)],
        contributors: contributors.map((node) => ({ node, metrics: {} })),
        failures: [...failures.values()],
      };
    } catch (e) {
      if (e instanceof SecAggError) return failed(e.message);
      throw e;
    }
  }

  /** One exchange of a stage; a node whose answer the server refuses is rejected with the server's reason. */
  private async exchange(r: FitRound, failures: Map<string, NodeFailure>, stage: Stage, tasks: Map<string, TaskSpec>, accept: Accept): Promise<void> {
    for (const [node, spec] of tasks) {
      spec.check = (reply) => {
        const refusal = decodeRefusal(reply.payload);
        if (refusal !== null) return `the node refused: ${refusal}`;
        try {
          accept(node, reply);
          return null;
        } catch (e) {
          if (e instanceof PrivmedError) return e.message;
          throw e;
        }
      };
    }
    const { failures: out } = await r.exchange(tasks, stage.deadline);
    for (const f of out) if (!failures.has(f.node)) failures.set(f.node, { ...f, reason: `${stage.name}: ${f.reason}` });
  }

  private steps(r: FitRound, nodeOf: Map<number, string>, messages: Map<number, SecAggMessage>, stage: SecAggStageName, expect: TaskSpec['expect']): Map<string, TaskSpec> {
    const tasks = new Map<string, TaskSpec>();
    for (const [id, message] of messages) {
      tasks.set(nodeOf.get(id)!, { kind: 'step', round: r.round, config: {}, stage, payload: Buffer.from(encodeMessage(message)), expect });
    }
    return tasks;
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
