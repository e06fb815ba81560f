/**
 * The protocol's messages: plain objects (numbers, strings, Uint8Array),
 * so any transport can carry them; wire.ts gives a compact binary encoding.
 *
 *   coordinator -> all      setup             (round parameters, graph commitment)
 *   node -> coordinator     advertise-keys    (two fresh X25519 public keys; authenticated: signed)
 *   coordinator -> node     key-broadcast     (all keys, graph nonce, the node's neighbours)
 *   node -> coordinator     share-keys        (encrypted Shamir shares, one per neighbour)
 *   coordinator -> node     forwarded-shares  (the ciphertexts addressed to that node)
 *   node -> coordinator     masked-input      (the masked fixed-point vector)
 *   coordinator -> node     consistency-check (authenticated rounds: the survivor set U3)
 *   node -> coordinator     consistency-signature (its signature on U3)
 *   coordinator -> node     unmask-request    (which neighbours survived / dropped; authenticated: U3 and >= t signatures on it)
 *   node -> coordinator     unmask-response   (self-mask-seed shares of survivors, mask-key shares of dropped)
 */

/** Parameters of one aggregation round, fixed by the coordinator and checked by every node. */
export interface SecAggParams {
  /** Unique per round: keys, ciphertexts and masks are bound to it. */
  roundId: string;
  /** Invited nodes; ids are integers in [1, 2^32 - 1] (they are Shamir evaluation points). */
  nodeIds: number[];
  /** Shares needed to reconstruct a node's secret; must exceed half of its share holders. */
  threshold: number;
  /** Neighbours per node: even and < n - 1 for a random Harary graph, n - 1 (or more) for the complete graph. */
  degree: number;
  /** Length of the update vector (the weight travels as one extra coordinate). */
  vectorLength: number;
  /** Update coordinates are clipped to [-clip, clip] before weighting. */
  clip: number;
  /** Weights (e.g. sample counts) must lie in [0, maxWeight]. */
  maxWeight: number;
  /** Keys and the survivor set are signed and verified (authentication.ts); absent means false. */
  authenticated?: boolean;
}

export interface SetupMessage {
  kind: 'setup';
  params: SecAggParams;
  /** SHA-256 commitment to the coordinator's graph nonce, revealed in key-broadcast. */
  graphNonceCommitment: Uint8Array;
}

export interface AdvertiseKeysMessage {
  kind: 'advertise-keys';
  roundId: string;
  nodeId: number;
  /** Agrees the keys that encrypt shares between neighbours. */
  encryptionPublicKey: Uint8Array;
  /** Agrees the pairwise mask keys; its secret key is Shamir-shared. */
  maskPublicKey: Uint8Array;
  /** Authenticated rounds: the node's credential and its signature over keysTranscript. */
  credential?: Uint8Array;
  signature?: Uint8Array;
}

export interface ParticipantKeys {
  nodeId: number;
  encryptionPublicKey: Uint8Array;
  maskPublicKey: Uint8Array;
  credential?: Uint8Array;
  signature?: Uint8Array;
}

export interface KeyBroadcastMessage {
  kind: 'key-broadcast';
  roundId: string;
  graphNonce: Uint8Array;
  /** Every node that advertised keys, sorted by id. */
  participants: ParticipantKeys[];
  /** The receiving node's neighbours, sorted; the node recomputes and compares. */
  neighbours: number[];
}

export interface OutgoingShare {
  to: number;
  ciphertext: Uint8Array;
}

export interface ShareKeysMessage {
  kind: 'share-keys';
  roundId: string;
  nodeId: number;
  selfMaskSeedCommitment: Uint8Array;
  /** One ciphertext per neighbour. */
  shares: OutgoingShare[];
}

export interface IncomingShare {
  from: number;
  ciphertext: Uint8Array;
}

export interface ForwardedSharesMessage {
  kind: 'forwarded-shares';
  roundId: string;
  shares: IncomingShare[];
}

export interface MaskedInputMessage {
  kind: 'masked-input';
  roundId: string;
  nodeId: number;
  /** vectorLength + 1 ring elements, 4 bytes little-endian each. */
  maskedVector: Uint8Array;
}

/** Authenticated rounds: the set U3 of nodes whose masked input arrived, sent to each of them to sign. */
export interface ConsistencyCheckMessage {
  kind: 'consistency-check';
  roundId: string;
  survivors: number[];
}

export interface ConsistencySignatureMessage {
  kind: 'consistency-signature';
  roundId: string;
  nodeId: number;
  /** Over survivorsTranscript(roundId, nodeId, survivors). */
  signature: Uint8Array;
}

export interface SurvivorSignature {
  nodeId: number;
  signature: Uint8Array;
}

export interface UnmaskRequestMessage {
  kind: 'unmask-request';
  roundId: string;
  /** Share holders of the node (itself included) whose masked input arrived. */
  survivors: number[];
  /** Neighbours that shared keys but whose masked input did not arrive. */
  dropped: number[];
  /** Authenticated rounds: U3, as signed in the consistency check, and the survivors' signatures on it. */
  survivorSet?: number[];
  signatures?: SurvivorSignature[];
}

export interface RevealedShare {
  owner: number;
  share: Uint8Array;
}

export interface UnmaskResponseMessage {
  kind: 'unmask-response';
  roundId: string;
  nodeId: number;
  selfMaskSeedShares: RevealedShare[];
  maskKeyShares: RevealedShare[];
}

export type SecAggMessage =
  | SetupMessage
  | AdvertiseKeysMessage
  | KeyBroadcastMessage
  | ShareKeysMessage
  | ForwardedSharesMessage
  | MaskedInputMessage
  | ConsistencyCheckMessage
  | ConsistencySignatureMessage
  | UnmaskRequestMessage
  | UnmaskResponseMessage;

/** A node's contribution: the update and its weight (e.g. its number of samples). */
export interface SecAggInput {
  values: Float32Array | Float64Array | readonly number[];
  /** Defaults to 1 (plain sum; the weight sum then counts contributors). */
  weight?: number;
}
