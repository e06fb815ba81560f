import { createCipheriv, createDecipheriv } from 'node:crypto';
import { CryptoError } from './errors.js';
import type { RandomSource } from './random.js';

/**
 * AES-256-GCM with a random 96-bit nonce. The associated data is
 * authenticated, not encrypted: bind it to whatever the ciphertext must not
 * be replayed into (session, sender, receiver).
 * Layout: nonce (12) | ciphertext | tag (16).
 */
export const AEAD_NONCE_BYTES = 12;
export const AEAD_TAG_BYTES = 16;

export function aeadCiphertextBytes(plaintextBytes: number): number {
  return AEAD_NONCE_BYTES + plaintextBytes + AEAD_TAG_BYTES;
}

export function sealAead(key: Uint8Array, plaintext: Uint8Array, associatedData: Uint8Array, random: RandomSource): Uint8Array {
  const nonce = random(AEAD_NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: AEAD_TAG_BYTES });
  cipher.setAAD(associatedData);
  const body = cipher.update(plaintext);
  cipher.final();
  const out = new Uint8Array(aeadCiphertextBytes(plaintext.length));
  out.set(nonce);
  out.set(body, AEAD_NONCE_BYTES);
  out.set(cipher.getAuthTag(), AEAD_NONCE_BYTES + body.length);
  return out;
}

/** The plaintext, or CryptoError 'malformed' (too short) / 'tampered' (authentication failed). */
export function openAead(key: Uint8Array, ciphertext: Uint8Array, associatedData: Uint8Array): Uint8Array {
  if (ciphertext.length < AEAD_NONCE_BYTES + AEAD_TAG_BYTES) throw new CryptoError('malformed', 'ciphertext is truncated');
  const decipher = createDecipheriv('aes-256-gcm', key, ciphertext.subarray(0, AEAD_NONCE_BYTES), { authTagLength: AEAD_TAG_BYTES });
  decipher.setAAD(associatedData);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - AEAD_TAG_BYTES));
  const body = decipher.update(ciphertext.subarray(AEAD_NONCE_BYTES, ciphertext.length - AEAD_TAG_BYTES));
  try {
    decipher.final();
  } catch (cause) {
    throw new CryptoError('tampered', 'ciphertext failed authentication', { cause });
  }
  return new Uint8Array(body);
}
