import { aeadCiphertextBytes, openAead, sealAead } from '../crypto/aead.js';
import { CryptoError } from '../crypto/errors.js';
import type { RandomSource } from '../crypto/random.js';
import { domainBytes } from './domain.js';
import { SecAggError } from './errors.js';

/**
 * AES-256-GCM (crypto/aead.ts) for the shares that travel node -> coordinator
 * -> node. The associated data binds round, sender and receiver, so the
 * coordinator can neither read a share nor replay it to another node, round
 * or direction.
 */
export function shareCiphertextBytes(plaintextBytes: number): number {
  return aeadCiphertextBytes(plaintextBytes);
}

export function encryptForPeer(
  key: Uint8Array,
  roundId: string,
  from: number,
  to: number,
  plaintext: Uint8Array,
  random: RandomSource,
): Uint8Array {
  return sealAead(key, plaintext, associatedData(roundId, from, to), random);
}

export function decryptFromPeer(key: Uint8Array, roundId: string, from: number, to: number, ciphertext: Uint8Array): Uint8Array {
  try {
    return openAead(key, ciphertext, associatedData(roundId, from, to));
  } catch (e) {
    if (!(e instanceof CryptoError)) throw e;
    if (e.code === 'malformed') throw new SecAggError('tampered', `ciphertext from node ${from} to node ${to} is truncated`);
    throw new SecAggError('tampered', `shares from node ${from} to node ${to} failed authentication (altered, misrouted or from another round)`, {
      cause: e.cause,
      hint: 'the coordinator or the network changed a relayed message; this round must be aborted',
    });
  }
}

function associatedData(roundId: string, from: number, to: number): Uint8Array {
  return domainBytes('share-ciphertext', roundId, from, to);
}
