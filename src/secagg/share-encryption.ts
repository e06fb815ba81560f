import { createCipheriv, createDecipheriv } from 'node:crypto';
import { domainBytes } from './domain.js';
import { SecAggError } from './errors.js';
import type { RandomSource } from './random.js';

/**
 * AES-256-GCM for the shares that travel node -> coordinator -> node. The
 * associated data binds round, sender and receiver, so the coordinator can
 * neither read a share nor replay it to another node, round or direction.
 * Layout: nonce (12) | ciphertext | tag (16).
 */
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export function shareCiphertextBytes(plaintextBytes: number): number {
  return NONCE_BYTES + plaintextBytes + TAG_BYTES;
}

export function encryptForPeer(
  key: Uint8Array,
  roundId: string,
  from: number,
  to: number,
  plaintext: Uint8Array,
  random: RandomSource,
): Uint8Array {
  const nonce = random(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData(roundId, from, to));
  const body = cipher.update(plaintext);
  cipher.final();
  const out = new Uint8Array(shareCiphertextBytes(plaintext.length));
  out.set(nonce);
  out.set(body, NONCE_BYTES);
  out.set(cipher.getAuthTag(), NONCE_BYTES + body.length);
  return out;
}

export function decryptFromPeer(key: Uint8Array, roundId: string, from: number, to: number, ciphertext: Uint8Array): Uint8Array {
  if (ciphertext.length < NONCE_BYTES + TAG_BYTES) {
    throw new SecAggError('tampered', `ciphertext from node ${from} to node ${to} is truncated`);
  }
  const decipher = createDecipheriv('aes-256-gcm', key, ciphertext.subarray(0, NONCE_BYTES), { authTagLength: TAG_BYTES });
  decipher.setAAD(associatedData(roundId, from, to));
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - TAG_BYTES));
  const body = decipher.update(ciphertext.subarray(NONCE_BYTES, ciphertext.length - TAG_BYTES));
  try {
    decipher.final();
  } catch (cause) {
    throw new SecAggError('tampered', `shares from node ${from} to node ${to} failed authentication (altered, misrouted or from another round)`, {
      cause,
      hint: 'the coordinator or the network changed a relayed message; this round must be aborted',
    });
  }
  return new Uint8Array(body);
}

function associatedData(roundId: string, from: number, to: number): Uint8Array {
  return domainBytes('share-ciphertext', roundId, from, to);
}
