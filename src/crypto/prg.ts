import { createCipheriv } from 'node:crypto';
import { laneKernel, LANE_CHUNK_ELEMENTS, LANE_STREAM_AT } from './lanes.js';
import { RING_ELEMENT_BYTES } from './ring.js';

/**
 * Mask expansion: AES-256-CTR keystream read as little-endian ring
 * elements. The IV is fixed at zero, so each key must serve one mask only
 * (derive it per purpose, session and party); then no (key, counter) pair repeats.
 *
 * The keystream is produced and folded into the accumulator chunk by chunk,
 * so a mask of millions of coordinates never exists in memory as a whole and stays in
 * cache while it is added.
 */
const CHUNK_ELEMENTS = LANE_CHUNK_ELEMENTS;
const ZEROS = new Uint8Array(CHUNK_ELEMENTS * RING_ELEMENT_BYTES);

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
  applyMasksRange(acc, [{ key, sign }], from, to);
}

/**
 * Every mask of `masks` applied to acc[from..to), chunk by chunk: each chunk
 * of the sum stays in cache while all the masks are folded into it, instead
 * of the whole sum streaming through memory once per mask. Same result as
 * applyMaskRange per mask. The chunk sits in the lane kernel's memory while
 * its masks are added there, four 32-bit lanes at a time.
 */
export function applyMasksRange(acc: Uint32Array, masks: readonly { key: Uint8Array; sign: 1 | -1 }[], from: number, to: number): void {
  if (from % MASK_BLOCK_ELEMENTS !== 0 || from < 0 || to > acc.length) throw new RangeError(`mask range [${from}, ${to}) is not block-aligned within ${acc.length}`);
  if (masks.length === 0) return;
  const iv = new Uint8Array(16);
  new DataView(iv.buffer).setBigUint64(8, BigInt(from / MASK_BLOCK_ELEMENTS));
  const ciphers = masks.map((m) => createCipheriv('aes-256-ctr', m.key, iv));
  const k = laneKernel();
  for (let start = from; start < to; start += CHUNK_ELEMENTS) {
    const count = Math.min(CHUNK_ELEMENTS, to - start);
    const bytes = count * RING_ELEMENT_BYTES;
    const zeros = ZEROS.subarray(0, bytes);
    k.sum.set(acc.subarray(start, start + count));
    for (let j = 0; j < masks.length; j++) {
      k.stream.set(ciphers[j]!.update(zeros));
      // Whole 32-byte steps: lanes past `count` hold leftovers and are not copied back.
      (masks[j]!.sign === 1 ? k.add : k.sub)(0, LANE_STREAM_AT, bytes);
    }
    acc.set(k.sum.subarray(0, count), start);
  }
}
