/**
 * The dealer's PRG: AES-128-CTR keyed by a fresh 16-byte seed per step, so a
 * party's pseudorandom material travels as its seed (a correlated-randomness
 * compression: only the corrections to the other party's share travel).
 */
import { createCipheriv, randomFillSync } from 'node:crypto';

/** `bytes` pseudorandom bytes from a 16-byte seed (AES-128-CTR keystream), 8-byte aligned; one seed, one use. */
export function prgBytes(seed: Uint8Array, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  const ctr = createCipheriv('aes-128-ctr', seed, new Uint8Array(16));
  const CHUNK = 1 << 18;
  for (let off = 0; off < bytes; off += CHUNK) {
    const end = Math.min(bytes, off + CHUNK);
    out.set(ctr.update(out.subarray(off, end)), off);
  }
  return out;
}

export function randomSeeds(count: number): Uint8Array {
  const out = new Uint8Array(count * 16);
  randomFillSync(out);
  return out;
}

/** count uniform ring elements from a 16-byte seed (AES-128-CTR keystream); one seed, one use. */
export function expandRing(seed: Uint8Array, count: number): BigUint64Array {
  return new BigUint64Array(prgBytes(seed, 8 * count).buffer);
}
