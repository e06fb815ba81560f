/**
 * Vectors in the ring Z_{2^64} on BigUint64Array: a typed-array store reduces
 * mod 2^64 by itself, so `a[i] + b[i]` stored back is a ring operation. Fixed
 * point: a real v is the integer round(v * 2^f) mod 2^64, two's complement.
 * Activations carry f = FRACTION_BITS = 12; a product of two such carries 24
 * and the comparison gate shifts it back (see gate.ts).
 */
import { randomFillSync } from 'node:crypto';
import { endianness } from 'node:os';
import { SmpcError } from './errors.js';

export const FRACTION_BITS = 12;
// Wire bytes are little-endian and typed arrays use the host's order: refuse the rare big-endian host.
if (endianness() !== 'LE') throw new Error('privmed smpc needs a little-endian host');
/** Largest |v * 2^f| that encodes exactly (doubles hold 53 bits). */
const MAX_ENCODED = 2 ** 52;

export function ringZeros(length: number): BigUint64Array {
  return new BigUint64Array(length);
}

/** Uniform ring elements from the CSPRNG. */
export function ringRandom(length: number): BigUint64Array {
  const out = new BigUint64Array(length);
  randomFillSync(out);
  return out;
}

export function ringAdd(a: BigUint64Array, b: BigUint64Array): BigUint64Array {
  checkLength(a, b);
  const out = new BigUint64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! + b[i]!;
  return out;
}

export function ringSub(a: BigUint64Array, b: BigUint64Array): BigUint64Array {
  checkLength(a, b);
  const out = new BigUint64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! - b[i]!;
  return out;
}

export function ringAddInto(acc: BigUint64Array, b: BigUint64Array): void {
  checkLength(acc, b);
  for (let i = 0; i < acc.length; i++) acc[i] = acc[i]! + b[i]!;
}

/** a * 2^bits, element-wise (lifts a share to a larger fixed-point scale). */
export function ringShiftLeft(a: BigUint64Array, bits: number): BigUint64Array {
  const out = new BigUint64Array(a.length);
  const m = 1n << BigInt(bits);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! * m;
  return out;
}

function checkLength(a: BigUint64Array, b: BigUint64Array): void {
  if (a.length !== b.length) throw new SmpcError('shape', `ring vectors differ in length: ${a.length} vs ${b.length}`);
}

/** round(v * 2^bits) as ring elements; refuses non-finite values and values beyond `limit` in magnitude. */
export function encodeFixed(values: ArrayLike<number>, bits: number, limit = Infinity, what = 'value'): BigUint64Array {
  const out = new BigUint64Array(values.length);
  const scale = 2 ** bits;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v) || Math.abs(v) > limit) {
      throw new SmpcError('range', `${what} ${i} is ${v}, outside the calibrated range [-${limit}, ${limit}]`);
    }
    const e = Math.round(v * scale);
    if (Math.abs(e) >= MAX_ENCODED) throw new SmpcError('range', `${what} ${i} is ${v}: too large for ${bits} fractional bits`);
    out[i] = BigInt.asUintN(64, BigInt(e));
  }
  return out;
}

/** The signed value of each element divided by 2^bits. */
export function decodeFixed(vector: BigUint64Array, bits: number): Float64Array {
  const out = new Float64Array(vector.length);
  const inv = 2 ** -bits;
  for (let i = 0; i < vector.length; i++) out[i] = Number(BigInt.asIntN(64, vector[i]!)) * inv;
  return out;
}

/** Little-endian bytes of a ring vector (a view; the hosts we run on are little-endian). */
export function ringBytes(v: BigUint64Array): Uint8Array {
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

/** A ring vector from bytes, checking the length; copies when the bytes are not 8-aligned. */
export function ringFromBytes(bytes: Uint8Array, length: number, what: string): BigUint64Array {
  if (bytes.byteLength !== length * 8) {
    throw new SmpcError('message', `${what}: expected ${length} ring elements (${length * 8} bytes), got ${bytes.byteLength} bytes`);
  }
  if (bytes.byteOffset % 8 === 0) return new BigUint64Array(bytes.buffer, bytes.byteOffset, length);
  return new BigUint64Array(bytes.slice().buffer);
}

/** The low `width` bytes of each element (little-endian), for a peer that needs the value only mod 2^(8 width). */
export function ringLowBytes(v: BigUint64Array, width: number): Uint8Array {
  if (width === 8) return ringBytes(v);
  const words = new Uint32Array(v.buffer, v.byteOffset, 2 * v.length);
  const out = new Uint8Array(v.length * width);
  // Whole low words where the width allows, then the remaining bytes of each element from its words.
  for (let i = 0, o = 0; i < v.length; i++, o += width) {
    const lo = words[2 * i]!;
    const hi = words[2 * i + 1]!;
    for (let b = 0; b < width; b++) out[o + b] = b < 4 ? lo >>> (8 * b) : hi >>> (8 * (b - 4));
  }
  return out;
}

/** ringLowBytes undone: elements mod 2^(8 width), the high bytes zero; checks the length. */
export function ringFromLowBytes(bytes: Uint8Array, length: number, width: number, what: string): BigUint64Array {
  if (width === 8) return ringFromBytes(bytes, length, what);
  if (bytes.byteLength !== length * width) throw new SmpcError('message', `${what}: expected ${length} values of ${width} bytes (${length * width} bytes), got ${bytes.byteLength} bytes`);
  const out = new BigUint64Array(length);
  const words = new Uint32Array(out.buffer);
  for (let i = 0, o = 0; i < length; i++, o += width) {
    let lo = 0;
    let hi = 0;
    for (let b = 0; b < width; b++) {
      if (b < 4) lo |= bytes[o + b]! << (8 * b);
      else hi |= bytes[o + b]! << (8 * (b - 4));
    }
    words[2 * i] = lo;
    words[2 * i + 1] = hi;
  }
  return out;
}
