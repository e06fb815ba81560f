/**
 * Authenticated rounds (params.authenticated): the defence against an
 * active coordinator of Bonawitz et al.'s active-adversary variant (CCS
 * 2017, sec. 6), in SecAgg+'s graph.
 *
 * - Every node signs its two round keys with its long-term identity over a
 *   transcript of the round id (which names the run, round, attempt and
 *   stage) and its claimed id; every peer, and the coordinator, verify the
 *   signature and that the credential belongs to that id before using a key.
 *   A coordinator can then neither substitute a key nor replay an old one.
 * - After the masked inputs, each surviving node signs the survivor set U3 it
 *   was told (the consistency check). A node releases unmasking shares only
 *   after verifying at least t valid signatures, all on the very set it
 *   signed, and checks that the survivors and dropped it is asked about agree
 *   with that set: the coordinator cannot tell one holder a node survived and
 *   another that it dropped without forging signatures.
 *
 * The library signs and verifies through the two interfaces below only: the
 * federation implements them with the nodes' mTLS certificates and the
 * federation CA (src/federation/protocols/secagg/identity.ts).
 */
import { concatBytes } from '../common/bytes.js';
import { domainBytes } from './domain.js';
import { SecAggError } from './errors.js';
import type { AdvertiseKeysMessage, SurvivorSignature } from './messages.js';

export interface SecAggSigner {
  /** What peers check the signatures against (the federation: this node's certificate, PEM). */
  readonly credential: Uint8Array;
  sign(transcript: Uint8Array): Uint8Array;
}

export interface SecAggVerifier {
  /**
   * null when `credential` belongs to node `nodeId` and `signature` is its
   * holder's over `transcript`; otherwise why not (in words, for the error).
   */
  check(nodeId: number, credential: Uint8Array, transcript: Uint8Array, signature: Uint8Array): string | null;
}

export interface SecAggAuthentication {
  signer: SecAggSigner;
  verifier: SecAggVerifier;
}

/** Bounds on what a party accepts before verifying anything. */
export const MAX_CREDENTIAL_BYTES = 16 * 1024;
export const MAX_SIGNATURE_BYTES = 1024;

/** What a node signs when it advertises its keys. */
export function keysTranscript(roundId: string, nodeId: number, encryptionPublicKey: Uint8Array, maskPublicKey: Uint8Array): Uint8Array {
  return concatBytes([domainBytes('advertise-keys', roundId, nodeId), encryptionPublicKey, maskPublicKey]);
}

/** What a surviving node signs in the consistency check: the survivor set U3 it was told (sorted). */
export function survivorsTranscript(roundId: string, nodeId: number, survivors: readonly number[]): Uint8Array {
  return domainBytes('survivor-set', roundId, nodeId, survivors.length, ...survivors);
}

/** Refuses a credential or signature that is missing or too large to be one. */
export function checkSizes(nodeId: number, credential: Uint8Array | undefined, signature: Uint8Array | undefined): void {
  if (!credential?.length || !signature?.length) {
    throw new SecAggError('unauthenticated', `node ${nodeId}'s keys carry no signature, and this round is authenticated`);
  }
  if (credential.length > MAX_CREDENTIAL_BYTES || signature.length > MAX_SIGNATURE_BYTES) {
    throw new SecAggError('malformed', `node ${nodeId}'s credential (${credential.length} bytes) or signature (${signature.length} bytes) is too large`);
  }
}

/** An advertisement's credential and signature, checked (with a verifier) and copied. */
export function signedKeys(roundId: string, message: AdvertiseKeysMessage, verifier?: SecAggVerifier): { credential: Uint8Array; signature: Uint8Array } {
  const id = message.nodeId;
  checkSizes(id, message.credential, message.signature);
  const transcript = keysTranscript(roundId, id, message.encryptionPublicKey, message.maskPublicKey);
  if (verifier) requireSignature(verifier, id, message.credential!, transcript, message.signature!, 'the keys');
  return { credential: message.credential!.slice(), signature: message.signature!.slice() };
}

/** The coordinator's check of one node's signature on U3 (with a verifier: that it verifies). */
export function checkSurvivorSignature(roundId: string, nodeId: number, survivors: readonly number[], signature: Uint8Array, credential: Uint8Array, verifier?: SecAggVerifier): void {
  if (signature.length === 0 || signature.length > MAX_SIGNATURE_BYTES) {
    throw new SecAggError('malformed', `node ${nodeId} sent a survivor-set signature of ${signature.length} bytes`);
  }
  if (verifier) requireSignature(verifier, nodeId, credential, survivorsTranscript(roundId, nodeId, survivors), signature, 'the survivor-set signature');
}

/** Verifies one signature or throws an `unauthenticated` error naming the node and what was signed. */
export function requireSignature(verifier: SecAggVerifier, nodeId: number, credential: Uint8Array, transcript: Uint8Array, signature: Uint8Array, what: string): void {
  const problem = verifier.check(nodeId, credential, transcript, signature);
  if (problem !== null) {
    throw new SecAggError('unauthenticated', `${what} for node ${nodeId}: ${problem}`, {
      hint: 'the coordinator relayed a key or signature the node did not make (substituted, forged or replayed); do not take part in this round',
    });
  }
}

/**
 * A holder's check of an unmasking request's consistency proof: the set is
 * the one it signed, and at least `threshold` distinct members of it signed
 * that same set (every relayed signature must verify: one that does not is
 * the coordinator's forgery).
 */
export function checkSurvivorProof(
  roundId: string,
  signed: readonly number[],
  survivorSet: readonly number[],
  signatures: readonly SurvivorSignature[],
  threshold: number,
  credentialOf: (nodeId: number) => Uint8Array | undefined,
  verifier: SecAggVerifier,
): void {
  if (survivorSet.length !== signed.length || survivorSet.some((v, i) => v !== signed[i])) {
    throw new SecAggError('refused', `the unmasking request names survivors [${survivorSet.join(', ')}], this node signed [${signed.join(', ')}]`);
  }
  const members = new Set(signed);
  const seen = new Set<number>();
  for (const { nodeId, signature } of signatures) {
    if (!members.has(nodeId)) throw new SecAggError('refused', `the consistency proof carries a signature of node ${nodeId}, which is not a survivor`);
    if (seen.has(nodeId)) throw new SecAggError('protocol', `the consistency proof repeats node ${nodeId}`);
    seen.add(nodeId);
    if (signature.length > MAX_SIGNATURE_BYTES) throw new SecAggError('malformed', `node ${nodeId}'s survivor-set signature is ${signature.length} bytes`);
    requireSignature(verifier, nodeId, credentialOf(nodeId)!, survivorsTranscript(roundId, nodeId, signed), signature, 'the survivor-set signature');
  }
  if (seen.size < threshold) {
    throw new SecAggError('below-threshold', `only ${seen.size} survivors signed the survivor set, threshold is ${threshold}; no unmasking shares are released`);
  }
}
