import { concatBytes } from '../common/bytes.js';
import { equalBytes } from '../crypto/bytes.js';
import { applyMasksRange } from '../crypto/prg.js';
import { systemRandom, type RandomSource } from '../crypto/random.js';
import { ringToLittleEndian } from '../crypto/ring.js';
import { randomFieldElementBytes, SECRET_BYTES } from '../crypto/shamir.js';
import { generateX25519KeyPair, type X25519KeyPair } from '../crypto/x25519.js';
import { checkSurvivorProof, keysTranscript, survivorsTranscript, type SecAggAuthentication } from './authentication.js';
import { pairwiseMaskKey, selfMaskKey, selfMaskSeedCommitment, shareEncryptionKey } from './derive.js';
import { SecAggError } from './errors.js';
import { graphNonceCommitment, graphSeed, neighbourGraph } from './graph.js';
import { encodeInput, fixedPointScheme } from './input-encoding.js';
import type {
  AdvertiseKeysMessage,
  ConsistencyCheckMessage,
  ConsistencySignatureMessage,
  ForwardedSharesMessage,
  KeyBroadcastMessage,
  MaskedInputMessage,
  ParticipantKeys,
  SecAggInput,
  SecAggParams,
  SetupMessage,
  ShareKeysMessage,
  UnmaskRequestMessage,
  UnmaskResponseMessage,
} from './messages.js';
import { checkParticipants } from './participants.js';
import { validateParams } from './params.js';
import { shareSecret, x25519Agree } from './primitives.js';
import { decryptFromPeer, encryptForPeer } from './share-encryption.js';

export interface SecAggClientOptions {
  /** Secret randomness; defaults to the system CSPRNG (see crypto/random.ts). */
  random?: RandomSource;
  /** Local policy: refuse rounds whose threshold is lower than this. */
  minThreshold?: number;
  /**
   * This node's identity: it signs its keys and the survivor set, and takes
   * part only in authenticated rounds, verifying every peer (authentication.ts).
   */
  authentication?: SecAggAuthentication;
}

export type SecAggClientState = 'awaiting-setup' | 'awaiting-keys' | 'awaiting-shares' | 'awaiting-consistency' | 'awaiting-unmask' | 'done' | 'aborted';

/** The two shares a holder keeps for one owner: of its self-mask seed and of its mask secret key. */
interface HeldShares {
  selfMaskSeed: Uint8Array;
  maskKey: Uint8Array;
}

/**
 * The node side of one secure-aggregation round, as a state machine: each
 * handler takes the coordinator's message of the current stage and returns
 * the node's reply. Any refusal aborts the node for the round (its secrets
 * are never used again); a new round needs a new client.
 */
export class SecAggClient {
  private current: SecAggClientState = 'awaiting-setup';
  private readonly random: RandomSource;
  private params?: SecAggParams;
  private graphCommitment?: Uint8Array;
  private encryptionKeys?: X25519KeyPair;
  private maskKeys?: X25519KeyPair;
  private participants = new Map<number, ParticipantKeys>();
  private neighbours: number[] = [];
  private channelKeys = new Map<number, Uint8Array>();
  private selfMaskSeed?: Uint8Array;
  /** The survivor set U3 this node signed (authenticated rounds). */
  private signedSurvivors?: number[];
  private ownShares?: HeldShares;
  /** Shares received from the neighbours that reached the share-keys stage. */
  private heldShares = new Map<number, HeldShares>();

  constructor(
    readonly nodeId: number,
    private readonly options: SecAggClientOptions = {},
  ) {
    this.random = options.random ?? systemRandom;
  }

  get state(): SecAggClientState {
    return this.current;
  }

  /** Setup -> advertise two fresh X25519 public keys. */
  handleSetup(message: SetupMessage): AdvertiseKeysMessage {
    return this.step('awaiting-setup', 'setup', () => {
      const params = message.params;
      validateParams(params);
      if (!params.nodeIds.includes(this.nodeId)) {
        throw new SecAggError('protocol', `node ${this.nodeId} is not among the invited nodes of round ${params.roundId}`);
      }
      const minThreshold = this.options.minThreshold ?? 0;
      if (params.threshold < minThreshold) {
        throw new SecAggError('refused', `threshold ${params.threshold} is below this node's minimum of ${minThreshold}`);
      }
      if (message.graphNonceCommitment.length !== 32) throw new SecAggError('malformed', 'graph nonce commitment must be 32 bytes');
      const auth = this.options.authentication;
      // An unauthenticated round would let the coordinator substitute keys unseen: a node with an identity refuses it.
      if (auth && !params.authenticated) throw new SecAggError('refused', `round ${params.roundId} is not authenticated; node ${this.nodeId} takes part only in rounds whose keys are signed`);
      if (!auth && params.authenticated) throw new SecAggError('refused', `round ${params.roundId} is authenticated, and node ${this.nodeId} has no identity to sign its keys with`);
      this.params = { ...params, nodeIds: [...params.nodeIds] };
      this.graphCommitment = message.graphNonceCommitment;
      this.encryptionKeys = generateX25519KeyPair(this.random);
      this.maskKeys = generateX25519KeyPair(this.random);
      this.current = 'awaiting-keys';
      const keys = { encryptionPublicKey: this.encryptionKeys.publicKey, maskPublicKey: this.maskKeys.publicKey };
      const signed = auth && { credential: auth.signer.credential, signature: auth.signer.sign(keysTranscript(params.roundId, this.nodeId, keys.encryptionPublicKey, keys.maskPublicKey)) };
      return { kind: 'advertise-keys', roundId: params.roundId, nodeId: this.nodeId, ...keys, ...signed };
    });
  }

  /** Key broadcast -> verify the graph, then Shamir-share both secrets to the neighbours, encrypted. */
  handleKeyBroadcast(message: KeyBroadcastMessage): ShareKeysMessage {
    return this.step('awaiting-keys', 'key-broadcast', () => {
      const params = this.expectRound(message.roundId);
      const own = { encryptionPublicKey: this.encryptionKeys!.publicKey, maskPublicKey: this.maskKeys!.publicKey };
      this.participants = checkParticipants(message.participants, params, this.nodeId, own, this.options.authentication?.verifier);
      if (message.participants.length < params.threshold) {
        throw new SecAggError('below-threshold', `only ${message.participants.length} nodes advertised keys, threshold is ${params.threshold}`);
      }
      if (message.graphNonce.length !== 32 || !equalBytes(graphNonceCommitment(params.roundId, message.graphNonce), this.graphCommitment!)) {
        throw new SecAggError('graph-mismatch', 'the revealed graph nonce does not match the commitment sent at setup');
      }
      const seed = graphSeed(params.roundId, message.graphNonce, message.participants);
      const graph = neighbourGraph(message.participants.map((p) => p.nodeId), params.degree, seed);
      const expected = graph.get(this.nodeId)!;
      if (expected.length !== message.neighbours.length || expected.some((v, i) => v !== message.neighbours[i])) {
        throw new SecAggError(
          'graph-mismatch',
          `coordinator assigned node ${this.nodeId} neighbours [${message.neighbours.join(', ')}], the seed gives [${expected.join(', ')}]`,
          { hint: 'the coordinator deviated from the protocol; do not take part in this round' },
        );
      }
      this.neighbours = expected;

      this.selfMaskSeed = randomFieldElementBytes(this.random);
      const holders = [this.nodeId, ...this.neighbours];
      const seedShares = shareSecret(this.selfMaskSeed, holders, params.threshold, this.random);
      const keyShares = shareSecret(this.maskKeys!.secretKey, holders, params.threshold, this.random);
      this.ownShares = { selfMaskSeed: seedShares.get(this.nodeId)!, maskKey: keyShares.get(this.nodeId)! };
      const shares = this.neighbours.map((v) => {
        const shared = x25519Agree(this.encryptionKeys!.privateKey, this.participants.get(v)!.encryptionPublicKey, v);
        const key = shareEncryptionKey(shared, params.roundId, this.nodeId, v);
        this.channelKeys.set(v, key);
        const plaintext = concatBytes([seedShares.get(v)!, keyShares.get(v)!]);
        return { to: v, ciphertext: encryptForPeer(key, params.roundId, this.nodeId, v, plaintext, this.random) };
      });
      this.current = 'awaiting-shares';
      return {
        kind: 'share-keys',
        roundId: params.roundId,
        nodeId: this.nodeId,
        selfMaskSeedCommitment: selfMaskSeedCommitment(this.selfMaskSeed, params.roundId, this.nodeId),
        shares,
      };
    });
  }

  /** Forwarded shares -> decrypt and keep them, then mask the input with the self mask and one pairwise mask per sender. */
  handleForwardedShares(message: ForwardedSharesMessage, input: SecAggInput): MaskedInputMessage {
    return this.step('awaiting-shares', 'forwarded-shares', () => {
      const params = this.expectRound(message.roundId);
      const neighbourSet = new Set(this.neighbours);
      for (const { from, ciphertext } of message.shares) {
        if (!neighbourSet.has(from)) throw new SecAggError('protocol', `received shares from node ${from}, which is not a neighbour`);
        if (this.heldShares.has(from)) throw new SecAggError('protocol', `received shares from node ${from} twice`);
        const plaintext = decryptFromPeer(this.channelKeys.get(from)!, params.roundId, from, this.nodeId, ciphertext);
        if (plaintext.length !== 2 * SECRET_BYTES) throw new SecAggError('malformed', `shares from node ${from} have the wrong length`);
        this.heldShares.set(from, { selfMaskSeed: plaintext.slice(0, SECRET_BYTES), maskKey: plaintext.slice(SECRET_BYTES) });
      }
      // Too few live neighbours would leave this input summed with too few others.
      if (this.heldShares.size + 1 < params.threshold) {
        throw new SecAggError(
          'below-threshold',
          `node ${this.nodeId} has ${this.heldShares.size} live neighbours; masking needs at least ${params.threshold - 1}`,
        );
      }
      const vector = encodeInput(input, params, fixedPointScheme(params), this.random);
      const masks: { key: Uint8Array; sign: 1 | -1 }[] = [{ key: selfMaskKey(this.selfMaskSeed!, params.roundId, this.nodeId), sign: 1 }];
      for (const v of this.heldShares.keys()) {
        const shared = x25519Agree(this.maskKeys!.privateKey, this.participants.get(v)!.maskPublicKey, v);
        // The smaller id adds, the larger subtracts: the pair cancels in the sum.
        masks.push({ key: pairwiseMaskKey(shared, params.roundId, this.nodeId, v), sign: this.nodeId < v ? 1 : -1 });
      }
      // All masks folded in one pass over the vector, chunk by chunk (the vector streams through memory once, not once per mask).
      applyMasksRange(vector, masks, 0, vector.length);
      this.current = params.authenticated ? 'awaiting-consistency' : 'awaiting-unmask';
      return { kind: 'masked-input', roundId: params.roundId, nodeId: this.nodeId, maskedVector: ringToLittleEndian(vector) };
    });
  }

  /**
   * Consistency check (authenticated rounds) -> this node's signature on the
   * survivor set U3, which must contain it and only nodes that advertised
   * keys. It signs one set per round: the unmasking request must carry that
   * set and at least t signatures on it.
   */
  handleConsistencyCheck(message: ConsistencyCheckMessage): ConsistencySignatureMessage {
    return this.step('awaiting-consistency', 'consistency-check', () => {
      const params = this.expectRound(message.roundId);
      const survivors = message.survivors;
      if (survivors.some((v, i) => i > 0 && v <= survivors[i - 1]!)) throw new SecAggError('protocol', 'the survivor set must be sorted without repeats');
      if (!survivors.includes(this.nodeId)) throw new SecAggError('refused', `the survivor set leaves out node ${this.nodeId}, which sent its masked input`);
      const stranger = survivors.find((v) => !this.participants.has(v));
      if (stranger !== undefined) throw new SecAggError('protocol', `the survivor set names node ${stranger}, which advertised no keys`);
      if (survivors.length < params.threshold) throw new SecAggError('below-threshold', `only ${survivors.length} survivors, threshold is ${params.threshold}`);
      this.signedSurvivors = [...survivors];
      this.current = 'awaiting-unmask';
      const signature = this.options.authentication!.signer.sign(survivorsTranscript(params.roundId, this.nodeId, this.signedSurvivors));
      return { kind: 'consistency-signature', roundId: params.roundId, nodeId: this.nodeId, signature };
    });
  }

  /**
   * Unmask request -> the self-mask-seed shares of the neighbours that
   * survived and the mask-key shares of those that dropped. Refused when a
   * node is named in both lists, when this node is called dropped, or when it
   * has already answered: any of those could hand the coordinator both
   * secrets of one node, and with them that node's update. In authenticated
   * rounds it must also carry the consistency proof, and agree with it.
   */
  handleUnmaskRequest(message: UnmaskRequestMessage): UnmaskResponseMessage {
    if (this.current === 'done') {
      this.current = 'aborted';
      throw new SecAggError('refused', `node ${this.nodeId} already answered an unmasking request this round; a second answer could reveal both secrets of a node`);
    }
    return this.step('awaiting-unmask', 'unmask-request', () => {
      const params = this.expectRound(message.roundId);
      const survivors = uniqueIds(message.survivors, 'survivors');
      const dropped = uniqueIds(message.dropped, 'dropped');
      for (const v of dropped) {
        if (survivors.has(v)) {
          throw new SecAggError('refused', `node ${v} is named both survived and dropped; revealing both of its shares would unmask its update`);
        }
      }
      if (dropped.has(this.nodeId) || !survivors.has(this.nodeId)) {
        throw new SecAggError('refused', `the request calls node ${this.nodeId} dropped, but it sent its masked input`);
      }
      const known = new Set([this.nodeId, ...this.heldShares.keys()]);
      for (const v of [...survivors, ...dropped]) {
        if (!known.has(v)) throw new SecAggError('refused', `node ${this.nodeId} holds no shares of node ${v}`);
      }
      for (const v of known) {
        if (!survivors.has(v) && !dropped.has(v)) throw new SecAggError('protocol', `the request does not say whether node ${v} survived`);
      }
      if (survivors.size < params.threshold) {
        throw new SecAggError('below-threshold', `only ${survivors.size} of node ${this.nodeId}'s share holders survived, threshold is ${params.threshold}`);
      }
      if (params.authenticated) {
        const auth = this.options.authentication!;
        const credentialOf = (v: number) => this.participants.get(v)?.credential;
        checkSurvivorProof(params.roundId, this.signedSurvivors!, message.survivorSet ?? [], message.signatures ?? [], params.threshold, credentialOf, auth.verifier);
        const inSet = new Set(this.signedSurvivors);
        const wrong = [...survivors].find((v) => !inSet.has(v)) ?? [...dropped].find((v) => inSet.has(v));
        if (wrong !== undefined) throw new SecAggError('refused', `the request's survivors and dropped disagree with the signed survivor set about node ${wrong}`);
      }
      const held = (v: number): HeldShares => (v === this.nodeId ? this.ownShares! : this.heldShares.get(v)!);
      this.current = 'done';
      return {
        kind: 'unmask-response',
        roundId: params.roundId,
        nodeId: this.nodeId,
        selfMaskSeedShares: [...survivors].sort((a, b) => a - b).map((v) => ({ owner: v, share: held(v).selfMaskSeed })),
        maskKeyShares: [...dropped].sort((a, b) => a - b).map((v) => ({ owner: v, share: held(v).maskKey })),
      };
    });
  }

  private step<T>(expected: SecAggClientState, received: string, body: () => T): T {
    if (this.current !== expected) {
      const state = this.current;
      this.current = 'aborted';
      throw new SecAggError('protocol', `node ${this.nodeId} received ${received} in state ${state}, expected state ${expected}`);
    }
    try {
      return body();
    } catch (error) {
      this.current = 'aborted';
      throw error;
    }
  }

  private expectRound(roundId: string): SecAggParams {
    const params = this.params!;
    if (roundId !== params.roundId) throw new SecAggError('protocol', `message for round ${roundId} arrived in round ${params.roundId}`);
    return params;
  }
}

function uniqueIds(ids: readonly number[], list: string): Set<number> {
  const set = new Set(ids);
  if (set.size !== ids.length) throw new SecAggError('protocol', `the ${list} list repeats a node`);
  return set;
}
