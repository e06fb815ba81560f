import { createCipheriv } from 'node:crypto';
import { ringFromLittleEndian, RING_ELEMENT_BYTES } from './ring.js';

/**
 * Mask expansion: AES-256-CTR keystream read as little-endian ring
 * elements. The IV is fixed at zero, so each key must serve one mask only
 * (derive it per purpose, session and party); then no (key, counter) pair repeats.
 *
 * The keystream is produced and folded into the accumulator chunk by chunk,
 * so a mask of millions of coordinates never exists in memory as a whole and stays in
 * cache while it is added.
 */
const CHUNK_ELEMENTS = 1 << 16;
const ZEROS = new Uint8Array(CHUNK_ELEMENTS * RING_ELEMENT_BYTES);
const ZERO_IV = new Uint8Array(16);

/** acc += sign * PRG(key), element-wise mod 2^32. */
export function applyMask(acc: Uint32Array, key: Uint8Array, sign: 1 | -1): void {
  applyMaskRange(acc, key, sign, 0, acc.length);
}

/** Elements per AES block: a range must start on a block for the keystream to be seekable. */
export const MASK_BLOCK_ELEMENTS = 16 / RING_ELEMENT_BYTES;

/**
 * acc[from..to) += sign * PRG(key)[from..to): the same values applyMask adds
 * there (the CTR counter starts at from's block), so ranges can be done apart,
 * on other threads. `from` must be a multiple of MASK_BLOCK_ELEMENTS.
 */
export function applyMaskRange(acc: Uint32Array, key: Uint8Array, sign: 1 | -1, from: number, to: number): void {
  if (from % MASK_BLOCK_ELEMENTS !== 0 || from < 0 || to > acc.length) throw new RangeError(`mask range [${from}, ${to}) is not block-aligned within ${acc.length}`);
  const iv = new Uint8Array(16);
  new DataView(iv.buffer).setBigUint64(8, BigInt(from / MASK_BLOCK_ELEMENTS)); // big-endian block counter
  const cipher = createCipheriv('aes-256-ctr', key, from === 0 ? ZERO_IV : iv);
  for (let start = from; start < to; start += CHUNK_ELEMENTS) {
    const count = Math.min(CHUNK_ELEMENTS, to - start);
    const mask = ringFromLittleEndian(cipher.update(ZEROS.subarray(0, count * RING_ELEMENT_BYTES)));
    if (sign === 1) for (let i = 0; i < count; i++) acc[start + i] = acc[start + i]! + mask[i]!;
    else for (let i = 0; i < count; i++) acc[start + i] = acc[start + i]! - mask[i]!;
  }
}

/**
 * Every mask of `masks` applied to acc[from..to), chunk by chunk: each chunk
 * of the sum stays in cache while all the masks are folded into it, instead
 * of the whole sum streaming through memory once per mask. Same result as
 * applyMaskRange per mask.
 */
export function applyMasksRange(acc: Uint32Array, masks: readonly { key: Uint8Array; sign: 1 | -1 }[], from: number, to: number): void {
  if (from % MASK_BLOCK_ELEMENTS !== 0 || from < 0 || to > acc.length) throw new RangeError(`mask range [${from}, ${to}) is not block-aligned within ${acc.length}`);
  const iv = new Uint8Array(16);
  new DataView(iv.buffer).setBigUint64(8, BigInt(from / MASK_BLOCK_ELEMENTS));
  const ciphers = masks.map((m) => createCipheriv('aes-256-ctr', m.key, iv));
  for (let start = from; start < to; start += CHUNK_ELEMENTS) {
    const count = Math.min(CHUNK_ELEMENTS, to - start);
    const zeros = ZEROS.subarray(0, count * RING_ELEMENT_BYTES);
    for (let j = 0; j < masks.length; j++) {
      const mask = ringFromLittleEndian(ciphers[j]!.update(zeros));
      if (masks[j]!.sign === 1) for (let i = 0; i < count; i++) acc[start + i] = acc[start + i]! + mask[i]!;
      else for (let i = 0; i < count; i++) acc[start + i] = acc[start + i]! - mask[i]!;
    }
  }
}
