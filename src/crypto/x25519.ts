import { createPrivateKey, createPublicKey, diffieHellman, type KeyObject } from 'node:crypto';
import { CryptoError } from './errors.js';
import type { RandomSource } from './random.js';
import { isFieldElement } from './shamir.js';

/**
 * X25519 through node:crypto (OpenSSL), which is ~30x faster than a
 * pure-JS ladder; that matters to protocols that agree keys with many peers.
 */
export const X25519_KEY_BYTES = 32;

// Fixed DER prefixes of the PKCS#8 / SPKI encodings of a raw X25519 key (RFC 8410).
const PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20]);
const SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00]);

export interface X25519KeyPair {
  /** Clamped secret scalar, also a GF(2^255-19) element so it can be Shamir-shared. */
  secretKey: Uint8Array;
  publicKey: Uint8Array;
  privateKey: KeyObject;
}

export function generateX25519KeyPair(random: RandomSource): X25519KeyPair {
  for (;;) {
    const secretKey = random(X25519_KEY_BYTES);
    // RFC 7748 clamping done up front (X25519 does it anyway): the stored
    // scalar is then the one actually used, and it is < 2^255.
    secretKey[0]! &= 0xf8;
    secretKey[31]! &= 0x7f;
    secretKey[31]! |= 0x40;
    // Two clamped values are >= p; they cannot be shared as one field element.
    if (!isFieldElement(secretKey)) continue;
    const privateKey = privateKeyObject(secretKey);
    return { secretKey, publicKey: publicKeyOf(privateKey), privateKey };
  }
}

/** True for a scalar in the form generateX25519KeyPair stores (RFC 7748 clamped). */
export function isClampedScalar(secretKey: Uint8Array): boolean {
  return secretKey.length === X25519_KEY_BYTES && (secretKey[0]! & 7) === 0 && (secretKey[31]! & 0xc0) === 0x40;
}

export function x25519PublicKey(secretKey: Uint8Array): Uint8Array {
  return publicKeyOf(privateKeyObject(secretKey));
}

export function privateKeyObject(secretKey: Uint8Array): KeyObject {
  if (secretKey.length !== X25519_KEY_BYTES) throw new CryptoError('malformed', 'an X25519 secret key has 32 bytes');
  const der = new Uint8Array(PKCS8_PREFIX.length + X25519_KEY_BYTES);
  der.set(PKCS8_PREFIX);
  der.set(secretKey, PKCS8_PREFIX.length);
  return createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
}

/** Shared secret with a peer; rejects malformed ('malformed', 'invalid-key') and low-order ('low-order-key') public keys. */
export function x25519Agree(privateKey: KeyObject, peerPublicKey: Uint8Array): Uint8Array {
  if (peerPublicKey.length !== X25519_KEY_BYTES) {
    throw new CryptoError('malformed', `public key of ${peerPublicKey.length} bytes, expected 32`);
  }
  const der = new Uint8Array(SPKI_PREFIX.length + X25519_KEY_BYTES);
  der.set(SPKI_PREFIX);
  der.set(peerPublicKey, SPKI_PREFIX.length);
  let shared: Uint8Array;
  try {
    const publicKey = createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
    shared = new Uint8Array(diffieHellman({ privateKey, publicKey }));
  } catch (cause) {
    throw new CryptoError('invalid-key', 'key agreement failed (invalid public key)', { cause });
  }
  if (shared.every((b) => b === 0)) throw new CryptoError('low-order-key', 'low-order public key');
  return shared;
}

function publicKeyOf(privateKey: KeyObject): Uint8Array {
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return new Uint8Array(spki.subarray(spki.length - X25519_KEY_BYTES));
}
