import { endianness } from 'node:os';
import { addLanes } from './lanes.js';

/**
 * Vectors in the ring Z_{2^32}, stored as Uint32Array: typed-array stores
 * reduce mod 2^32 by themselves, so `a[i] + b[i]` and `a[i] - b[i]` are ring
 * operations. On the wire and in the PRG stream a ring element is 4 bytes
 * little-endian, whatever the host's byte order.
 */
export const RING_BITS = 32;
export const RING_ELEMENT_BYTES = 4;
const HOST_IS_LITTLE_ENDIAN = endianness() === 'LE';

/** A Uint32Array over little-endian bytes; a view when possible, a copy otherwise. */
export function ringFromLittleEndian(bytes: Uint8Array): Uint32Array {
  if (bytes.length % RING_ELEMENT_BYTES !== 0) throw new RangeError('ring vector bytes must be a multiple of 4');
  const length = bytes.length / RING_ELEMENT_BYTES;
  if (HOST_IS_LITTLE_ENDIAN && bytes.byteOffset % RING_ELEMENT_BYTES === 0) {
    return new Uint32Array(bytes.buffer, bytes.byteOffset, length);
  }
  const out = new Uint32Array(length);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < length; i++) out[i] = view.getUint32(i * RING_ELEMENT_BYTES, true);
  return out;
}

/** Little-endian bytes of a ring vector; a view when the host is little-endian. */
export function ringToLittleEndian(vector: Uint32Array): Uint8Array {
  if (HOST_IS_LITTLE_ENDIAN) return new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength);
  const out = new Uint8Array(vector.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < vector.length; i++) view.setUint32(i * RING_ELEMENT_BYTES, vector[i]!, true);
  return out;
}

/** In place: acc += other (mod 2^32). */
export function addInto(acc: Uint32Array, other: Uint32Array): void {
  if (acc.length !== other.length) throw new RangeError(`ring vectors differ in length: ${acc.length} vs ${other.length}`);
  addLanes(acc, other);
}
