import { createHash } from 'node:crypto';
import { hkdfSha256 } from '../crypto/hkdf.js';
import { domainBytes } from './domain.js';

/**
 * HKDF-SHA256 derivations. Each key is bound to its purpose, the round and
 * the node ids, so a key never serves two purposes or two rounds.
 */
const SALT = new TextEncoder().encode('privmed/secagg/v1/hkdf-salt');

function hkdf(ikm: Uint8Array, info: Uint8Array): Uint8Array {
  return hkdfSha256(ikm, SALT, info);
}

/** AES-256-GCM key for the shares two nodes send each other (both directions). */
export function shareEncryptionKey(sharedSecret: Uint8Array, roundId: string, a: number, b: number): Uint8Array {
  return hkdf(sharedSecret, domainBytes('share-encryption', roundId, Math.min(a, b), Math.max(a, b)));
}

/** AES-256-CTR key of the pairwise mask that u and v add with opposite signs. */
export function pairwiseMaskKey(sharedSecret: Uint8Array, roundId: string, a: number, b: number): Uint8Array {
  return hkdf(sharedSecret, domainBytes('pairwise-mask', roundId, Math.min(a, b), Math.max(a, b)));
}

/** AES-256-CTR key of a node's self mask, from its Shamir-shared seed. */
export function selfMaskKey(seed: Uint8Array, roundId: string, nodeId: number): Uint8Array {
  return hkdf(seed, domainBytes('self-mask', roundId, nodeId));
}

/**
 * Binding commitment to the self-mask seed, sent to the coordinator so it
 * can tell a correct reconstruction from one spoiled by a bad share. The seed
 * has 255 bits of entropy, so the hash hides it.
 */
export function selfMaskSeedCommitment(seed: Uint8Array, roundId: string, nodeId: number): Uint8Array {
  return new Uint8Array(createHash('sha256').update(domainBytes('self-mask-commitment', roundId, nodeId)).update(seed).digest());
}
