import { hkdfSync } from 'node:crypto';

/** HKDF-SHA256 (RFC 5869). Bind every key to its purpose through `info`. */
export const SYMMETRIC_KEY_BYTES = 32;

export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length = SYMMETRIC_KEY_BYTES): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', ikm, salt, info, length));
}
