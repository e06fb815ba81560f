/**
 * Replacement UIDs for de-identification: 2.25.<decimal of 128 bits> (PS3.5
 * B.2) derived by HMAC-SHA256 from a secret salt and the original UID, so the
 * same original maps to the same replacement in every file of a run (and
 * across runs that share the salt), while nobody without the salt can link
 * them back.
 */
import { createHmac, randomBytes } from 'node:crypto';

export class UidMap {
  private readonly cache = new Map<string, string>();
  readonly salt: Buffer;

  constructor(salt?: Uint8Array | string) {
    this.salt = salt === undefined ? randomBytes(32) : typeof salt === 'string' ? Buffer.from(salt, 'utf8') : Buffer.from(salt);
  }

  map(uid: string): string {
    const key = uid.replace(/\0+$/, '').trim();
    let out = this.cache.get(key);
    if (!out) {
      const digest = createHmac('sha256', this.salt).update(key).digest();
      out = `2.25.${BigInt('0x' + digest.subarray(0, 16).toString('hex')).toString(10)}`;
      this.cache.set(key, out);
    }
    return out;
  }

  get size(): number {
    return this.cache.size;
  }
}
