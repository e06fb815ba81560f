import { equalBytes } from '../crypto/bytes.js';
import { systemRandom, type RandomSource } from '../crypto/random.js';
import { addInto, ringFromLittleEndian, RING_ELEMENT_BYTES } from '../crypto/ring.js';
import type { Share } from '../crypto/shamir.js';
import { X25519_KEY_BYTES } from '../crypto/x25519.js';
import { SecAggError } from './errors.js';
import { graphNonceCommitment, graphSeed, neighbourGraph } from './graph.js';
import { decodeSum, fixedPointScheme, quantisationErrorBound, type FixedPointScheme } from './input-encoding.js';
import { checkSurvivorSignature, signedKeys, type SecAggVerifier } from './authentication.js';
import { checkOwners, checkShareKeys, pushShare } from './server-checks.js';
import type { SecAggResult } from './result.js';

export { weightedMean, type SecAggResult } from './result.js';
import type {
  AdvertiseKeysMessage,
  ConsistencyCheckMessage,
  ConsistencySignatureMessage,
  ForwardedSharesMessage,
  KeyBroadcastMessage,
  MaskedInputMessage,
  ParticipantKeys,
  SecAggParams,
  SetupMessage,
  ShareKeysMessage,
  UnmaskRequestMessage,
  UnmaskResponseMessage,
  SurvivorSignature,
} from './messages.js';
import { validateParams } from './params.js';
import { removeMasksHere, unmaskJobs, type MaskJob, type MaskRemover } from './unmask-jobs.js';

export interface SecAggServerOptions {
  /** Randomness for the graph nonce; defaults to the system CSPRNG. */
  random?: RandomSource;
  /** Authenticated rounds: checks each signature on receipt, so one bad node cannot make the honest ones abort. */
  verifier?: SecAggVerifier;
}

export type SecAggServerStage = 'advertise-keys' | 'share-keys' | 'masked-input' | 'consistency' | 'unmasking' | 'done' | 'failed';

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
  /** U3, fixed when the masked-input stage ends, and the survivors' signatures on it. */
  private survivorSet: number[] = [];
  private readonly survivorSignatures = new Map<number, Uint8Array>();
  private readonly requests = new Map<number, UnmaskRequestMessage>();
  private readonly responded = new Set<number>();
  private readonly selfMaskSeedShares = new Map<number, Share[]>();
  private readonly maskKeyShares = new Map<number, Share[]>();

  constructor(params: SecAggParams, private readonly options: SecAggServerOptions = {}) {
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
    const keys: ParticipantKeys = { nodeId: id, encryptionPublicKey: message.encryptionPublicKey.slice(), maskPublicKey: message.maskPublicKey.slice() };
    if (this.params.authenticated) Object.assign(keys, signedKeys(this.params.roundId, message, this.options.verifier));
    for (const k of fresh) this.advertisedKeys.add(k);
    // Copies: decoded fields may be views into a transport buffer that gets reused.
    this.keys.set(id, keys);
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
    checkShareKeys(message, neighbours);
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

  /** Fixes the contributors and asks them for unmasking shares (authenticated rounds: startConsistencyCheck instead). */
  finishMaskedInputStage(): Map<number, UnmaskRequestMessage> {
    this.expect('masked-input');
    if (this.params.authenticated) throw new SecAggError('protocol', 'an authenticated round runs the consistency check before unmasking');
    this.requireAtLeastThreshold(this.maskedFrom.size, 'sent masked inputs');
    return this.unmaskRequests([...this.maskedFrom]);
  }

  /** Authenticated rounds: fixes the contributors U3 and asks each of them to sign it. */
  startConsistencyCheck(): Map<number, ConsistencyCheckMessage> {
    this.expect('masked-input');
    this.requireAtLeastThreshold(this.maskedFrom.size, 'sent masked inputs');
    this.current = 'consistency';
    const survivors = (this.survivorSet = [...this.maskedFrom].sort((a, b) => a - b));
    return new Map(survivors.map((u) => [u, { kind: 'consistency-check', roundId: this.params.roundId, survivors }]));
  }

  receiveConsistencySignature(message: ConsistencySignatureMessage): void {
    this.expect('consistency', message.roundId);
    const id = message.nodeId;
    if (!this.maskedFrom.has(id)) throw new SecAggError('protocol', `node ${id} signed a survivor set it was not sent`);
    if (this.survivorSignatures.has(id)) throw new SecAggError('protocol', `node ${id} signed the survivor set twice`);
    checkSurvivorSignature(this.params.roundId, id, this.survivorSet, message.signature, this.keys.get(id)!.credential!, this.options.verifier);
    this.survivorSignatures.set(id, message.signature.slice());
  }

  /** Needs t signatures on U3; the nodes that signed get the unmasking requests, each with U3 and all the signatures. */
  finishConsistencyStage(): Map<number, UnmaskRequestMessage> {
    this.expect('consistency');
    this.requireAtLeastThreshold(this.survivorSignatures.size, 'signed the survivor set');
    const signatures: SurvivorSignature[] = [...this.survivorSignatures].sort(([a], [b]) => a - b).map(([nodeId, signature]) => ({ nodeId, signature }));
    const requests = this.unmaskRequests([...this.survivorSignatures.keys()]);
    for (const r of requests.values()) Object.assign(r, { survivorSet: this.survivorSet, signatures });
    return requests;
  }

  /** Each asked contributor is asked, about each share holder it knows, for one kind of share: seed if it contributed, mask key if not. */
  private unmaskRequests(asked: readonly number[]): Map<number, UnmaskRequestMessage> {
    for (const u of asked) {
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

  /** Reconstructs the secrets, removes the masks (here, or with `remove`) and decodes the sum. */
  finish(remove: MaskRemover = removeMasksHere): SecAggResult {
    remove(this.accumulator, this.maskJobs());
    return this.decoded();
  }

  /** finish() with the masks removed elsewhere (worker threads), without blocking this thread. */
  async finishAsync(remove: (acc: Uint32Array, jobs: readonly MaskJob[]) => Promise<void>): Promise<SecAggResult> {
    await remove(this.accumulator, this.maskJobs());
    return this.decoded();
  }

  private maskJobs(): MaskJob[] {
    this.expect('unmasking');
    try {
      return unmaskJobs({
        roundId: this.params.roundId,
        threshold: this.params.threshold,
        contributors: [...this.maskedFrom].sort((a, b) => a - b),
        dropped: [...this.shareKeys.keys()].filter((v) => !this.maskedFrom.has(v)).sort((a, b) => a - b),
        selfMaskSeedShares: this.selfMaskSeedShares,
        maskKeyShares: this.maskKeyShares,
        commitmentOf: (u) => this.shareKeys.get(u)!.selfMaskSeedCommitment,
        maskPublicKeyOf: (v) => this.keys.get(v)!.maskPublicKey,
        neighboursOf: (v) => this.graph.get(v)!,
        contributed: (u) => this.maskedFrom.has(u),
      });
    } catch (e) {
      this.current = 'failed';
      throw e;
    }
  }

  private decoded(): SecAggResult {
    this.current = 'done';
    const contributors = [...this.maskedFrom].sort((a, b) => a - b);
    const dropped = [...this.shareKeys.keys()].filter((v) => !this.maskedFrom.has(v)).sort((a, b) => a - b);
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
