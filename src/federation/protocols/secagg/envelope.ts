/**
 * How SecAgg+ (src/secagg) travels over the federation's tasks - the contract
 * between the coordinator's SecAggAggregator and the node's
 * SecAggNodeAggregation, which never import each other.
 *
 *   task (coordinator -> node)                        reply (node -> coordinator)
 *   FIT  stage secagg/setup       setup envelope       payload advertise-keys
 *   STEP stage secagg/share-keys  key-broadcast        payload share-keys
 *   STEP stage secagg/masked-input forwarded-shares    payload masked-input header, tensor: the masked vector
 *   STEP stage secagg/consistency consistency-check    payload consistency-signature (authenticated rounds)
 *   STEP stage secagg/unmask      unmask-request       payload unmask-response
 *
 * A node that will not go on (its update fails its own checks, or the
 * coordinator deviated from the protocol) answers with a refusal payload
 * (wire/refusal.ts) instead: the coordinator logs the reason and counts the
 * node as out.
 */
import { endianness } from 'node:os';
import { PrivmedError } from '../../../common/errors.js';
import { decodeMessageOf, encodeMessage, type SetupMessage } from '../../../secagg/index.js';
import type { NamedTensor } from '../../wire/tensors.js';

export const SECAGG_STAGES = {
  setup: 'secagg/setup',
  shareKeys: 'secagg/share-keys',
  maskedInput: 'secagg/masked-input',
  consistency: 'secagg/consistency',
  unmask: 'secagg/unmask',
} as const;

export type SecAggStageName = (typeof SECAGG_STAGES)[keyof typeof SECAGG_STAGES];

/** Every round id starts so; then a random id, the round, the attempt and the first task's stage (signed by every node). */
export const SECAGG_ROUND_PREFIX = 'privmed/secagg/';

/** The round and first-task stage a round id names, or null when it is not one of ours. */
export function parseRoundId(roundId: string): { round: number; attempt: number; stage: string } | null {
  if (!roundId.startsWith(SECAGG_ROUND_PREFIX)) return null;
  const m = /^[0-9a-f-]{36}\/round-(\d{1,9})\/attempt-(\d{1,9})\/(.+)$/.exec(roundId.slice(SECAGG_ROUND_PREFIX.length));
  return m ? { round: Number(m[1]), attempt: Number(m[2]), stage: m[3]! } : null;
}

/** The statistics exchange's first task (wire/statistics.ts): a STEP with the setup envelope; the stages above follow. */
export const SECAGG_STATISTICS_STAGE = 'statistics/secagg-setup';

/** Federated evaluation's first task (wire/evaluation-vector.ts): a STEP with the setup envelope; the stages above follow. */
export const SECAGG_EVALUATION_STAGE = 'evaluation/secagg-setup';

/** The one tensor of a masked-input reply: the ring vector's bytes, viewed as float32 so the chunked tensor upload carries it. */
export const MASKED_VECTOR_TENSOR = 'secagg/masked-vector';

/** What the setup FIT task tells a node besides the SecAgg+ parameters. */
export interface SecAggSetupEnvelope {
  /** The node's id in this round (a Shamir evaluation point); the coordinator checks every message against it. */
  nodeId: number;
  /** The coordinator's validation.maxUpdateNorm, which only the node can check under secure aggregation. */
  maxUpdateNorm: number | null;
  /** The node names of the round's ids, in the order of setup.params.nodeIds (the certificate CNs signatures are checked against). */
  roster: string[];
  setup: SetupMessage;
}

const ENVELOPE_VERSION = 2;
const MAX_ROSTER_BYTES = 1 << 20;

/** Layout: u32 version, u32 node id, f64 max update norm (NaN = none), u32 roster length, the roster (JSON), then the encoded setup message. */
export function encodeSetupEnvelope(envelope: SecAggSetupEnvelope): Buffer {
  const setup = encodeMessage(envelope.setup);
  const roster = Buffer.from(JSON.stringify(envelope.roster), 'utf8');
  const out = Buffer.alloc(20 + roster.length + setup.length);
  out.writeUInt32LE(ENVELOPE_VERSION, 0);
  out.writeUInt32LE(envelope.nodeId, 4);
  out.writeDoubleLE(envelope.maxUpdateNorm ?? Number.NaN, 8);
  out.writeUInt32LE(roster.length, 16);
  out.set(roster, 20);
  out.set(setup, 20 + roster.length);
  return out;
}

export function decodeSetupEnvelope(payload: Uint8Array): SecAggSetupEnvelope {
  if (payload.length < 16) throw new PrivmedError('secure aggregation: the setup task carries no setup message');
  const view = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const version = view.readUInt32LE(0);
  if (version !== ENVELOPE_VERSION) {
    throw new PrivmedError(`secure aggregation: setup envelope version ${version}, this node understands ${ENVELOPE_VERSION}`, {
      hint: 'run the same privmed version on coordinator and nodes',
    });
  }
  const norm = view.readDoubleLE(8);
  const rosterBytes = payload.length >= 20 ? view.readUInt32LE(16) : -1;
  if (rosterBytes < 0 || rosterBytes > MAX_ROSTER_BYTES || 20 + rosterBytes > payload.length) throw new PrivmedError('secure aggregation: the setup envelope\'s roster is truncated or too large');
  // A copy: the decoded message may keep views into its bytes, and the task buffer belongs to gRPC.
  const setup = decodeMessageOf(Uint8Array.from(view.subarray(20 + rosterBytes)), 'setup');
  let roster: unknown;
  try {
    roster = JSON.parse(view.subarray(20, 20 + rosterBytes).toString('utf8'));
  } catch {
    roster = null;
  }
  if (!Array.isArray(roster) || roster.length !== setup.params.nodeIds.length || !roster.every((n) => typeof n === 'string' && n.length <= 64)) {
    throw new PrivmedError(`secure aggregation: the setup envelope's roster is not a list of ${setup.params.nodeIds.length} node names`);
  }
  return { nodeId: view.readUInt32LE(4), maxUpdateNorm: Number.isNaN(norm) ? null : norm, roster: roster as string[], setup };
}

/**
 * The tensor codec copies float32 bytes unchanged only on little-endian
 * hosts; elsewhere it would go through numbers and could rewrite the NaN
 * bit patterns that masked ring elements are full of.
 */
function requireLittleEndian(): void {
  if (endianness() !== 'LE') throw new PrivmedError('secure aggregation in the federation needs a little-endian host');
}

/** Wraps a masked ring vector (little-endian bytes) as the reply tensor, bit for bit. */
export function maskedVectorTensor(bytes: Uint8Array): NamedTensor {
  requireLittleEndian();
  const data = new Float32Array(bytes.length / 4);
  new Uint8Array(data.buffer).set(bytes);
  return { name: MASKED_VECTOR_TENSOR, shape: [data.length], data };
}

/** The ring vector's bytes back from the received tensor. */
export function maskedVectorBytes(tensor: NamedTensor): Uint8Array {
  requireLittleEndian();
  return new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
}
