import { createCipheriv, createHash } from 'node:crypto';
import type { RandomSource } from '../../src/crypto/random.js';

/**
 * A reproducible stream of cryptographic quality (AES-256-CTR keyed by a
 * hash of the label), so statistical tests give the same verdict every run.
 */
export function seededRandom(label: string): RandomSource {
  const key = createHash('sha256').update(label).digest();
  const stream = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return (length) => new Uint8Array(stream.update(Buffer.alloc(length)));
}
