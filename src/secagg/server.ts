import { equalBytes } from '../crypto/bytes.js';
import { applyMask } from '../crypto/prg.js';
import { systemRandom, type RandomSource } from '../crypto/random.js';
import { addInto, ringFromLittleEndian, RING_ELEMENT_BYTES } from '../crypto/ring.js';
import { SECRET_BYTES, type Share } from '../crypto/shamir.js';
import { isClampedScalar, privateKeyObject, x25519PublicKey, X25519_KEY_BYTES } from '../crypto/x25519.js';
import { pairwiseMaskKey, selfMaskKey, selfMaskSeedCommitment } from './derive.js';
import { SecAggError } from './errors.js';
import { graphNonceCommitment, graphSeed, neighbourGraph } from './graph.js';
import { decodeSum, fixedPointScheme, quantisationErrorBound, type FixedPointScheme } from './input-encoding.js';
import type {
  AdvertiseKeysMessage,
  ForwardedSharesMessage,
  KeyBroadcastMessage,
  MaskedInputMessage,
  ParticipantKeys,
  SecAggParams,
  SetupMessage,
  ShareKeysMessage,
  UnmaskRequestMessage,
  UnmaskResponseMessage,
} from './messages.js';
import { validateParams } from './params.js';
import { reconstructSecret, x25519Agree } from './primitives.js';
import { shareCiphertextBytes } from './share-encryption.js';

export interface SecAggServerOptions {
  /** Randomness for the graph nonce; defaults to the system CSPRNG. */
  random?: RandomSource;
}

export type SecAggServerStage = 'advertise-keys' | 'share-keys' | 'masked-input' | 'unmasking' | 'done' | 'failed';

export interface SecAggResult {
  /** Sum over contributors of weight * clipped update. */
  sum: Float64Array;
  /** Sum of the contributors' weights. */
  weightSum: number;
  /** Nodes whose masked input is in the sum. */
  contributors: number[];
  /** Nodes that shared keys but whose input is not in the sum. */
  dropped: number[];
  /** Largest quantisation error per coordinate of `sum` and of `weightSum`. */
  errorBound: { value: number; weight: number };
}

/** Element-wise sum / weightSum: the weighted mean of the contributors' updates. */
export function weightedMean(result: SecAggResult): Float64Array {
  if (!(result.weightSum > 0)) throw new SecAggError('invalid-input', `weight sum is ${result.weightSum}; no weighted mean`);
  return result.sum.map((v) => v / result.weightSum);
}

/**
 * The coordinator side of one round, as a state machine. It relays
 * ciphertexts it cannot read, adds masked vectors as they arrive (one
 * accumulator, whatever the number of nodes), and finally removes the masks
 * it is allowed to reconstruct. `receive*` take one node's message; the
 * stage ends when the caller (the federation round, on its deadline) calls
 * `finish*Stage()`, which returns the next message for every node still in.
 */
export class SecAggServer {
  private current: SecAggServerStage = 'advertise-keys';
  readonly params: SecAggParams;
  private readonly scheme: FixedPointScheme;
  private readonly nonce: Uint8Array;
  private readonly invited: Set<number>;
  private readonly keys = new Map<number, ParticipantKeys>();
  private readonly advertisedKeys = new Set<string>();
  private graph = new Map<number, number[]>();
  private readonly shareKeys = new Map<number, ShareKeysMessage>();
  private readonly accumulator: Uint32Array;
  private readonly maskedFrom = new Set<number>();
  private readonly requests = new Map<number, UnmaskRequestMessage>();
  private readonly responded = new Set<number>();
  private readonly selfMaskSeedShares = new Map<number, Share[]>();
  private readonly maskKeyShares = new Map<number, Share[]>();

  constructor(params: SecAggParams, options: SecAggServerOptions = {}) {
    validateParams(params);
    this.params = { ...params, nodeIds: [...params.nodeIds].sort((a, b) => a - b) };
    this.scheme = fixedPointScheme(this.params);
    this.nonce = (options.random ?? systemRandom)(32);
    this.invited = new Set(this.params.nodeIds);
    this.accumulator = new Uint32Array(this.params.vectorLength + 1);
  }

  get stage(): SecAggServerStage {
    return this.current;
  }

  /** The same setup message goes to every invited node. */
  setupMessage(): SetupMessage {
    return {
      kind: 'setup',
      params: { ...this.params, nodeIds: [...this.params.nodeIds] },
      graphNonceCommitment: graphNonceCommitment(this.params.roundId, this.nonce),
    };
  }

  receiveAdvertiseKeys(message: AdvertiseKeysMessage): void {
    this.expect('advertise-keys', message.roundId);
    const id = message.nodeId;
    if (!this.invited.has(id)) throw new SecAggError('protocol', `node ${id} was not invited to round ${this.params.roundId}`);
    if (this.keys.has(id)) throw new SecAggError('protocol', `node ${id} advertised keys twice`);
    const fresh = [message.encryptionPublicKey, message.maskPublicKey].map((key) => {
      if (key.length !== X25519_KEY_BYTES) throw new SecAggError('malformed', `node ${id} advertised a key of ${key.length} bytes`);
      return Buffer.from(key).toString('hex');
    });
    // Repeated keys would make honest nodes abort the round (they check too), so refuse them here.
    if (fresh[0] === fresh[1] || fresh.some((k) => this.advertisedKeys.has(k))) {
      throw new SecAggError('protocol', `node ${id} advertised a public key that is already in use`);
    }
    for (const k of fresh) this.advertisedKeys.add(k);
    // Copies: decoded fields may be views into a transport buffer that gets reused.
    this.keys.set(id, { nodeId: id, encryptionPublicKey: message.encryptionPublicKey.slice(), maskPublicKey: message.maskPublicKey.slice() });
  }

  /** Fixes the participants and the graph; returns each participant's key broadcast. */
  finishAdvertiseStage(): Map<number, KeyBroadcastMessage> {
    this.expect('advertise-keys');
    this.requireAtLeastThreshold(this.keys.size, 'advertised keys');
    const participants = [...this.keys.values()].sort((a, b) => a.nodeId - b.nodeId);
    const seed = graphSeed(this.params.roundId, this.nonce, participants);
    this.graph = neighbourGraph(participants.map((p) => p.nodeId), this.params.degree, seed);
    this.current = 'share-keys';
    const out = new Map<number, KeyBroadcastMessage>();
    for (const p of participants) {
      out.set(p.nodeId, {
        kind: 'key-broadcast',
        roundId: this.params.roundId,
        graphNonce: this.nonce,
        participants,
        neighbours: [...this.graph.get(p.nodeId)!],
      });
    }
    return out;
  }

  receiveShareKeys(message: ShareKeysMessage): void {
    this.expect('share-keys', message.roundId);
    const id = message.nodeId;
    const neighbours = this.graph.get(id);
    if (!neighbours) throw new SecAggError('protocol', `node ${id} shared keys without having advertised any`);
    if (this.shareKeys.has(id)) throw new SecAggError('protocol', `node ${id} shared keys twice`);
    if (message.selfMaskSeedCommitment.length !== 32) throw new SecAggError('malformed', `node ${id} sent a bad self-mask commitment`);
    const recipients = message.shares.map((s) => s.to).sort((a, b) => a - b);
    if (recipients.length !== neighbours.length || recipients.some((v, i) => v !== neighbours[i])) {
      throw new SecAggError('protocol', `node ${id} must send exactly one ciphertext to each of its ${neighbours.length} neighbours`);
    }
    const expectedBytes = shareCiphertextBytes(2 * SECRET_BYTES);
    for (const s of message.shares) {
      if (s.ciphertext.length !== expectedBytes) throw new SecAggError('malformed', `node ${id} sent a ciphertext of ${s.ciphertext.length} bytes`);
    }
    this.shareKeys.set(id, {
      ...message,
      selfMaskSeedCommitment: message.selfMaskSeedCommitment.slice(),
      shares: message.shares.map((s) => ({ to: s.to, ciphertext: s.ciphertext.slice() })),
    });
  }

  /** Fixes who shared keys; relays to each of them the ciphertexts addressed to it. */
  finishShareKeysStage(): Map<number, ForwardedSharesMessage> {
    this.expect('share-keys');
    this.requireAtLeastThreshold(this.shareKeys.size, 'shared keys');
    const out = new Map<number, ForwardedSharesMessage>();
    for (const id of this.shareKeys.keys()) out.set(id, { kind: 'forwarded-shares', roundId: this.params.roundId, shares: [] });
    for (const [from, message] of this.shareKeys) {
      for (const { to, ciphertext } of message.shares) out.get(to)?.shares.push({ from, ciphertext });
    }
    this.current = 'masked-input';
    return out;
  }

  /** Adds the masked vector into the running sum; the vector itself is not kept. */
  receiveMaskedInput(message: MaskedInputMessage): void {
    this.expect('masked-input', message.roundId);
    const id = message.nodeId;
    if (!this.shareKeys.has(id)) throw new SecAggError('protocol', `node ${id} sent a masked input without having shared keys`);
    if (this.maskedFrom.has(id)) throw new SecAggError('protocol', `node ${id} sent its masked input twice`);
    const expectedBytes = this.accumulator.length * RING_ELEMENT_BYTES;
    if (message.maskedVector.length !== expectedBytes) {
      throw new SecAggError('malformed', `node ${id} sent ${message.maskedVector.length} bytes of masked input, expected ${expectedBytes}`);
    }
    addInto(this.accumulator, ringFromLittleEndian(message.maskedVector));
    this.maskedFrom.add(id);
  }

  /**
   * Fixes the contributors. Each one is asked, about each share holder it
   * knows, for exactly one kind of share: the self-mask seed if the holder
   * contributed, the mask key if it did not.
   */
  finishMaskedInputStage(): Map<number, UnmaskRequestMessage> {
    this.expect('masked-input');
    this.requireAtLeastThreshold(this.maskedFrom.size, 'sent masked inputs');
    for (const u of this.maskedFrom) {
      const group = [u, ...this.graph.get(u)!].filter((v) => this.shareKeys.has(v)).sort((a, b) => a - b);
      this.requests.set(u, {
        kind: 'unmask-request',
        roundId: this.params.roundId,
        survivors: group.filter((v) => this.maskedFrom.has(v)),
        dropped: group.filter((v) => !this.maskedFrom.has(v)),
      });
    }
    this.current = 'unmasking';
    return new Map(this.requests);
  }

  receiveUnmaskResponse(message: UnmaskResponseMessage): void {
    this.expect('unmasking', message.roundId);
    const id = message.nodeId;
    const request = this.requests.get(id);
    if (!request) throw new SecAggError('protocol', `node ${id} answered an unmasking request it was not sent`);
    if (this.responded.has(id)) throw new SecAggError('protocol', `node ${id} answered twice`);
    // Accept exactly what was asked, so the two kinds never meet for one node.
    checkOwners(message.selfMaskSeedShares, request.survivors, id, 'self-mask-seed');
    checkOwners(message.maskKeyShares, request.dropped, id, 'mask-key');
    for (const { owner, share } of message.selfMaskSeedShares) pushShare(this.selfMaskSeedShares, owner, { holder: id, share });
    for (const { owner, share } of message.maskKeyShares) pushShare(this.maskKeyShares, owner, { holder: id, share });
    this.responded.add(id);
  }

  /** Reconstructs the secrets, removes the masks and decodes the sum. */
  finish(): SecAggResult {
    this.expect('unmasking');
    const t = this.params.threshold;
    const contributors = [...this.maskedFrom].sort((a, b) => a - b);
    const dropped = [...this.shareKeys.keys()].filter((v) => !this.maskedFrom.has(v)).sort((a, b) => a - b);
    const short = [
      ...contributors.filter((u) => (this.selfMaskSeedShares.get(u)?.length ?? 0) < t).map((u) => `self-mask seed of node ${u}`),
      ...dropped.filter((v) => (this.maskKeyShares.get(v)?.length ?? 0) < t).map((v) => `mask key of node ${v}`),
    ];
    if (short.length > 0) {
      this.current = 'failed';
      throw new SecAggError('below-threshold', `fewer than ${t} shares arrived for: ${short.join(', ')}`, {
        hint: 'too many nodes dropped out during unmasking; the round cannot be completed',
      });
    }
    const roundId = this.params.roundId;
    for (const u of contributors) {
      const seed = reconstructSecret(this.selfMaskSeedShares.get(u)!, t);
      if (!equalBytes(selfMaskSeedCommitment(seed, roundId, u), this.shareKeys.get(u)!.selfMaskSeedCommitment)) {
        this.current = 'failed';
        throw new SecAggError('protocol', `the self-mask seed of node ${u} does not match its commitment: a share holder sent a wrong share`);
      }
      applyMask(this.accumulator, selfMaskKey(seed, roundId, u), -1);
    }
    for (const v of dropped) {
      const secretKey = reconstructSecret(this.maskKeyShares.get(v)!, t);
      // X25519 ignores the clamped bits, so check them too: a wrong share must not slip through there.
      if (!isClampedScalar(secretKey) || !equalBytes(x25519PublicKey(secretKey), this.keys.get(v)!.maskPublicKey)) {
        this.current = 'failed';
        throw new SecAggError('protocol', `the mask key of node ${v} does not match its public key: a share holder sent a wrong share`);
      }
      const privateKey = privateKeyObject(secretKey);
      for (const u of this.graph.get(v)!) {
        if (!this.maskedFrom.has(u)) continue;
        const shared = x25519Agree(privateKey, this.keys.get(u)!.maskPublicKey, u);
        // Undo the mask u added for v (u added it if u < v, subtracted it otherwise).
        applyMask(this.accumulator, pairwiseMaskKey(shared, roundId, u, v), u < v ? -1 : 1);
      }
    }
    this.current = 'done';
    const decoded = decodeSum(this.accumulator, this.scheme);
    return { ...decoded, contributors, dropped, errorBound: quantisationErrorBound(this.scheme, contributors.length) };
  }

  private expect(stage: SecAggServerStage, roundId?: string): void {
    if (roundId !== undefined && roundId !== this.params.roundId) {
      throw new SecAggError('protocol', `message for round ${roundId} arrived in round ${this.params.roundId}`);
    }
    if (this.current !== stage) throw new SecAggError('protocol', `coordinator is in stage ${this.current}, not ${stage}`);
  }

  private requireAtLeastThreshold(count: number, what: string): void {
    if (count < this.params.threshold) {
      this.current = 'failed';
      throw new SecAggError('below-threshold', `only ${count} nodes ${what}, threshold is ${this.params.threshold}`, {
        hint: 'too many nodes dropped out; the round cannot be completed without weakening privacy',
      });
    }
  }
}

function checkOwners(shares: readonly { owner: number; share: Uint8Array }[], asked: readonly number[], from: number, kind: string): void {
  const owners = shares.map((s) => s.owner).sort((a, b) => a - b);
  if (owners.length !== asked.length || owners.some((v, i) => v !== asked[i])) {
    throw new SecAggError('protocol', `node ${from} sent ${kind} shares for [${owners.join(', ')}], asked for [${asked.join(', ')}]`);
  }
  for (const s of shares) {
    if (s.share.length !== SECRET_BYTES) throw new SecAggError('malformed', `node ${from} sent a ${kind} share of ${s.share.length} bytes`);
  }
}

function pushShare(map: Map<number, Share[]>, owner: number, share: Share): void {
  const list = map.get(owner);
  if (list) list.push(share);
  else map.set(owner, [share]);
}
