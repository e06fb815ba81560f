/**
 * The node's side of secure aggregation (see coordinator.ts and envelope.ts): after training it keeps its update, answers
 * the setup with fresh public keys, and masks the update only when the
 * coordinator asks for the masked input. One SecAggClient per round.
 *
 * The coordinator cannot check an update it never sees, so the node checks
 * its own before anything leaves: finite values, the L2 norm bound, a sample
 * count within the round's weight range. A node that will not go on - its
 * update fails those checks, or the coordinator deviated from the protocol -
 * answers with a refusal (the reason, no values) and stays connected for the
 * next round, instead of failing the whole node process.
 */
import { PrivmedError } from '../../../common/errors.js';
import { decodeMessageOf, encodeMessage, SecAggClient, type SecAggAuthentication, type SecAggInput, type SecAggMessage, type SecAggSigner } from '../../../secagg/index.js';
import { decodeSetupEnvelope, maskedVectorTensor, parseRoundId, SECAGG_EVALUATION_STAGE, SECAGG_STAGES, SECAGG_STATISTICS_STAGE, type SecAggSetupEnvelope } from './envelope.js';
import { certificateVerifier, nodeSigner } from './identity.js';
import { evaluationVector } from '../../wire/evaluation-vector.js';
import { statisticsVector, type DatasetStatistics } from '../../wire/statistics.js';
import { flattenUpdate, type FlatUpdate } from './update-vector.js';
import { refusalReply } from '../../wire/refusal.js';
import type { NodeReply, ReceivedTask } from '../../wire/task.js';
import type { EvaluateOutput, FitOutput } from '../../../site/local-trainer.js';
import { publicPrivacyMetrics } from '../../../site/fit-config.js';
import type { NodeAggregation } from '../../node/node-aggregation.js';
import type { NodeProtocolOptions } from '../types.js';

export type SecAggNodeOptions = NodeProtocolOptions;

interface RoundState {
  client: SecAggClient;
  /** Held from training until masking, then dropped. */
  input: SecAggInput | null;
}

/** Why the node will not send its update; `details` stay on the node. */
class LocalRefusal extends PrivmedError {
  constructor(
    reason: string,
    readonly details: string,
  ) {
    super(reason);
  }
}

function reply(message: SecAggMessage): NodeReply {
  return { tensors: null, numSamples: 0, metrics: {}, payload: Buffer.from(encodeMessage(message)) };
}

/** A copy: decoded fields are views, and the task buffer belongs to gRPC. */
function payloadOf(task: ReceivedTask): Uint8Array {
  return Uint8Array.from(task.payload);
}

function checkUpdate(update: FlatUpdate, numSamples: number, maxSamples: number, maxUpdateNorm: number | null): void {
  if (update.nonFinite > 0) {
    throw new LocalRefusal('the trained weights contain non-finite values', `${update.nonFinite} non-finite values`);
  }
  if (!Number.isSafeInteger(numSamples) || numSamples < 1) {
    throw new LocalRefusal('the sample count is not a positive integer', `sample count ${numSamples}`);
  }
  if (numSamples > maxSamples) {
    throw new LocalRefusal(`the sample count exceeds the round's limit of ${maxSamples} (validation.maxNumSamples)`, `sample count ${numSamples}`);
  }
  if (maxUpdateNorm !== null && update.norm > maxUpdateNorm) {
    throw new LocalRefusal(`the update norm exceeds validation.maxUpdateNorm (${maxUpdateNorm})`, `update norm ${update.norm.toPrecision(4)}`);
  }
}

/** Round ids this process has signed keys for, kept to refuse a replayed setup (bounded: oldest forgotten first). */
const MAX_REMEMBERED_ROUNDS = 10_000;

export class SecAggNodeAggregation implements NodeAggregation {
  private current: RoundState | null = null;
  private signer?: SecAggSigner;
  private readonly signedRounds = new Set<string>();

  constructor(private readonly options: SecAggNodeOptions = {}) {}

  async afterFit(task: ReceivedTask, output: FitOutput): Promise<NodeReply> {
    // A new setup ends whatever round came before (e.g. one the coordinator gave up on).
    this.current = null;
    return this.refuseOnError(task, () => {
      if (task.stage !== SECAGG_STAGES.setup) throw new PrivmedError(`expected a secure aggregation setup, got stage '${task.stage}'`);
      if (!task.tensors) throw new PrivmedError('the secure aggregation setup arrived without the global weights');
      const envelope = decodeSetupEnvelope(task.payload);
      const params = envelope.setup.params;
      const update = flattenUpdate(
        task.tensors.map((t) => t.data),
        output.weights,
        params.clip,
      );
      if (update.values.length !== params.vectorLength) {
        throw new PrivmedError(`the round aggregates ${params.vectorLength} values, this model gives ${update.values.length}`);
      }
      checkUpdate(update, output.numSamples, params.maxWeight, envelope.maxUpdateNorm);
      if (update.clippedFraction > 0) {
        this.options.log?.(`secure aggregation: ${(100 * update.clippedFraction).toFixed(2)}% of the update's coordinates exceed the clip of ${params.clip}`);
      }
      // The site's spent epsilon is public (a function of public mechanism parameters): it rides beside the keys.
      return { ...this.begin(task, envelope, { values: update.values, weight: output.numSamples }), metrics: publicPrivacyMetrics(output.metrics) };
    });
  }

  /** The statistics exchange's setup: the same protocol, over the statistics vector weighted by the image count. */
  async statistics(task: ReceivedTask, stats: DatasetStatistics): Promise<NodeReply> {
    this.current = null;
    return this.refuseOnError(task, () => {
      if (task.stage !== SECAGG_STATISTICS_STAGE) throw new PrivmedError(`expected a statistics setup, got stage '${task.stage}'`);
      const envelope = decodeSetupEnvelope(task.payload);
      const params = envelope.setup.params;
      const values = statisticsVector(stats);
      if (values.length !== params.vectorLength) throw new PrivmedError(`the statistics round aggregates ${params.vectorLength} values, this node gives ${values.length}`);
      if (params.clip < 1) throw new PrivmedError(`the statistics round clips at ${params.clip}, below the values' range [0, 1]`);
      if (stats.count > params.maxWeight) {
        throw new LocalRefusal(`the image count exceeds the round's limit of ${params.maxWeight} (validation.maxNumSamples)`, `image count ${stats.count}`);
      }
      return this.begin(task, envelope, { values, weight: stats.count });
    });
  }

  /** A secure evaluation sum's setup: the metrics vector (wire/evaluation-vector.ts) weighted by the validation count. */
  async evaluation(task: ReceivedTask, output: EvaluateOutput): Promise<NodeReply> {
    this.current = null;
    return this.refuseOnError(task, () => {
      if (task.stage !== SECAGG_EVALUATION_STAGE) throw new PrivmedError(`expected an evaluation setup, got stage '${task.stage}'`);
      const envelope = decodeSetupEnvelope(task.payload);
      const params = envelope.setup.params;
      const { values, leftOut } = evaluationVector(output.metrics, output.numSamples);
      if (values.length !== params.vectorLength) throw new PrivmedError(`the evaluation round aggregates ${params.vectorLength} values, this node gives ${values.length}`);
      if (params.clip < 1) throw new PrivmedError(`the evaluation round clips at ${params.clip}, below the values' range [-1, 1]`);
      if (output.numSamples > params.maxWeight) {
        throw new LocalRefusal(`the validation count exceeds the round's limit of ${params.maxWeight} (validation.maxNumSamples)`, `count ${output.numSamples}`);
      }
      if (leftOut.length) this.options.log?.(`secure evaluation: not summed (no slot for them): ${leftOut.join(', ')}`);
      return this.begin(task, envelope, { values, weight: output.numSamples });
    });
  }

  private begin(task: ReceivedTask, envelope: SecAggSetupEnvelope, input: SecAggInput): NodeReply {
    const authentication = this.authentication(task, envelope);
    const client = new SecAggClient(envelope.nodeId, { minThreshold: this.options.minThreshold, random: this.options.random, authentication });
    const keys = client.handleSetup(envelope.setup);
    this.current = { client, input };
    return reply(keys);
  }

  /**
   * With a certificate, this node signs its keys for this round only: the
   * round id must name this task's round and stage and be new to it, and the
   * roster must give its id its own name. Without one (no TLS), none.
   */
  private authentication(task: ReceivedTask, envelope: SecAggSetupEnvelope): SecAggAuthentication | undefined {
    const creds = this.options.credentials;
    if (!creds) return undefined;
    const { roundId, nodeIds } = envelope.setup.params;
    const named = parseRoundId(roundId);
    if (!named || named.round !== task.round || named.stage !== task.stage) {
      throw new PrivmedError(`the secure aggregation round id '${roundId}' does not name this task's round ${task.round} and stage '${task.stage}'`);
    }
    if (this.signedRounds.has(roundId)) throw new PrivmedError(`the secure aggregation round '${roundId}' was set up before: a replayed setup`);
    const mine = envelope.roster[nodeIds.indexOf(envelope.nodeId)];
    if (mine !== creds.name) throw new PrivmedError(`the round's roster gives this node's id ${envelope.nodeId} the name '${mine}', this node is '${creds.name}'`);
    if (this.signedRounds.size >= MAX_REMEMBERED_ROUNDS) this.signedRounds.delete(this.signedRounds.values().next().value!);
    this.signedRounds.add(roundId);
    this.signer ??= nodeSigner(creds.certPem, creds.keyPem);
    const names = new Map(nodeIds.map((id, i) => [id, envelope.roster[i]!]));
    return { signer: this.signer, verifier: certificateVerifier(creds.caPem, (id) => names.get(id)) };
  }

  async step(task: ReceivedTask): Promise<NodeReply> {
    return this.refuseOnError(task, () => {
      const state = this.current;
      if (!state) throw new PrivmedError(`no secure aggregation round in progress for stage '${task.stage}' (this node restarted or left the round)`);
      switch (task.stage) {
        case SECAGG_STAGES.shareKeys:
          return reply(state.client.handleKeyBroadcast(decodeMessageOf(payloadOf(task), 'key-broadcast')));
        case SECAGG_STAGES.maskedInput: {
          if (!state.input) throw new PrivmedError('the masked input was already sent this round');
          const masked = state.client.handleForwardedShares(decodeMessageOf(payloadOf(task), 'forwarded-shares'), state.input);
          state.input = null;
          // The vector rides in the chunked tensor upload; the payload keeps the (small) message header.
          return { ...reply({ ...masked, maskedVector: new Uint8Array(0) }), tensors: [maskedVectorTensor(masked.maskedVector)] };
        }
        case SECAGG_STAGES.consistency:
          return reply(state.client.handleConsistencyCheck(decodeMessageOf(payloadOf(task), 'consistency-check')));
        case SECAGG_STAGES.unmask: {
          const answer = state.client.handleUnmaskRequest(decodeMessageOf(payloadOf(task), 'unmask-request'));
          this.current = null;
          return reply(answer);
        }
        default:
          throw new PrivmedError(`unknown secure aggregation stage '${task.stage}'`);
      }
    });
  }

  private async refuseOnError(task: ReceivedTask, body: () => NodeReply): Promise<NodeReply> {
    try {
      return body();
    } catch (e) {
      if (!(e instanceof PrivmedError)) throw e;
      this.current = null;
      const details = e instanceof LocalRefusal ? ` (${e.details})` : '';
      this.options.log?.(`round ${task.round}: refusing secure aggregation stage '${task.stage}': ${e.message}${details}`);
      return refusalReply(e.message);
    }
  }
}
