import type { KeyObject } from 'node:crypto';
import { CryptoError, type CryptoErrorCode } from '../crypto/errors.js';
import * as shamir from '../crypto/shamir.js';
import * as x25519 from '../crypto/x25519.js';
import type { RandomSource } from '../crypto/random.js';
import { SecAggError, type SecAggErrorCode } from './errors.js';

/**
 * The crypto/ operations the protocol runs on peers' data, failing with
 * SecAggError: callers branch on its code, and the message names the node.
 */
const CODES: Record<CryptoErrorCode, SecAggErrorCode> = {
  'invalid-argument': 'protocol',
  'below-threshold': 'below-threshold',
  malformed: 'malformed',
  'invalid-key': 'protocol',
  'low-order-key': 'protocol',
  tampered: 'tampered',
};

function translate(e: unknown, message?: (e: CryptoError) => string | undefined): unknown {
  if (!(e instanceof CryptoError)) return e;
  return new SecAggError(CODES[e.code], message?.(e) ?? e.message, { cause: e.cause, hint: e.hint });
}

export function shareSecret(secret: Uint8Array, holders: readonly number[], threshold: number, random: RandomSource): Map<number, Uint8Array> {
  try {
    return shamir.shareSecret(secret, holders, threshold, random);
  } catch (e) {
    throw translate(e);
  }
}

export function reconstructSecret(shares: readonly shamir.Share[], threshold: number): Uint8Array {
  try {
    return shamir.reconstructSecret(shares, threshold);
  } catch (e) {
    throw translate(e, (c) => {
      if (c.code !== 'malformed') return undefined;
      const bad = shares.slice(0, threshold).find((s) => !shamir.isFieldElement(s.share));
      return `share from node ${bad?.holder} is not a field element`;
    });
  }
}

/** Shared secret with node `peer`; rejects malformed and low-order public keys. */
export function x25519Agree(privateKey: KeyObject, peerPublicKey: Uint8Array, peer: number): Uint8Array {
  try {
    return x25519.x25519Agree(privateKey, peerPublicKey);
  } catch (e) {
    throw translate(e, (c) => {
      if (c.code === 'malformed') return `node ${peer} sent a public key of ${peerPublicKey.length} bytes, expected 32`;
      if (c.code === 'invalid-key') return `key agreement with node ${peer} failed (invalid public key)`;
      if (c.code === 'low-order-key') return `node ${peer} sent a low-order public key`;
      return undefined;
    });
  }
}
