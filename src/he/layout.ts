import { HeError } from './errors.js';
import { firstWordOutOfRange, polyWords, type RnsBasis } from './rns.js';

/**
 * SEAL 4.1 serialisation with compression `none` (native/src/seal/
 * serialization.h, ciphertext.cpp, plaintext.cpp, dynarray.h), little-endian:
 * a 16-byte header (magic 0xA15E, header size 16, version 4.1, compression,
 * total size), then the object's metadata, then a DynArray (its own 16-byte
 * header, a u64 count) of 64-bit RNS words. We parse what remote parties send
 * and refuse anything that is not exactly the object expected; we build
 * objects by copying a template SEAL produced and replacing its words.
 */
export const SEAL_MAGIC = 0xa15e;
export const HEADER_BYTES = 16;
export const CIPHERTEXT_DATA_OFFSET = 113;
export const PLAINTEXT_DATA_OFFSET = 88;

export interface Expected {
  readonly what: string; // names the object and the party, for errors
  readonly basis: RnsBasis; // the primes at the object's level
  readonly parmsId: readonly bigint[]; // 4 words
}

export interface ParsedCiphertext {
  ntt: boolean;
  scale: number;
  words: Uint32Array; // 2 * polys * N * L u32 (lo, hi) pairs; a copy
}

function fail(what: string, reason: string): never {
  throw new HeError('malformed', `${what}: ${reason}`);
}

function readHeader(bytes: Uint8Array, at: number, what: string): DataView {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < at + HEADER_BYTES) fail(what, `truncated: ${bytes.length} bytes, no SEAL header at byte ${at}`);
  const magic = dv.getUint16(at, true);
  if (magic !== SEAL_MAGIC) fail(what, `expected SEAL magic 0xa15e at byte ${at}, got 0x${magic.toString(16)}`);
  if (bytes[at + 2] !== HEADER_BYTES) fail(what, `expected header size 16, got ${bytes[at + 2]}`);
  if (bytes[at + 3] !== 4 || bytes[at + 4] !== 1) fail(what, `expected SEAL version 4.1, got ${bytes[at + 3]}.${bytes[at + 4]}`);
  if (bytes[at + 5] !== 0) fail(what, `expected compression none (0), got ${bytes[at + 5]}`);
  return dv;
}

function checkParmsId(dv: DataView, ex: Expected): void {
  for (let i = 0; i < 4; i++) {
    if (dv.getBigUint64(16 + 8 * i, true) !== ex.parmsId[i]) fail(ex.what, 'parameters id differs from this run\'s CKKS parameters');
  }
}

function checkWords(bytes: Uint8Array, at: number, count: number, ex: Expected): Uint32Array {
  const copy = bytes.slice(at, at + 8 * count);
  const words = new Uint32Array(copy.buffer, 0, 2 * count);
  const bad = firstWordOutOfRange(ex.basis, words);
  if (bad >= 0) {
    const j = Math.floor(bad / ex.basis.n) % ex.basis.q.length;
    fail(ex.what, `word ${bad} is not below its prime q_${j} = ${ex.basis.q[j]}`);
  }
  return words;
}

/** A full (not seeded) two-polynomial ciphertext at the expected level. */
export function parseCiphertext(bytes: Uint8Array, ex: Expected): ParsedCiphertext {
  const dv = readHeader(bytes, 0, ex.what);
  const words = 2 * polyWords(ex.basis);
  const total = CIPHERTEXT_DATA_OFFSET + 8 * words;
  if (bytes.length !== total) fail(ex.what, `expected ${total} bytes, got ${bytes.length}${bytes.length < total ? ' (truncated)' : ''}`);
  if (dv.getBigUint64(8, true) !== BigInt(total)) fail(ex.what, `header says ${dv.getBigUint64(8, true)} bytes, the object has ${total}`);
  checkParmsId(dv, ex);
  const ntt = bytes[48]!;
  if (ntt > 1) fail(ex.what, `is_ntt_form must be 0 or 1, got ${ntt}`);
  const field = (at: number, name: string, want: number) => {
    const got = dv.getBigUint64(at, true);
    if (got !== BigInt(want)) fail(ex.what, `expected ${name} ${want}, got ${got}`);
  };
  field(49, 'size (polynomials)', 2);
  field(57, 'poly_modulus_degree', ex.basis.n);
  field(65, 'coeff_modulus_size', ex.basis.q.length);
  field(81, 'correction_factor', 1);
  readHeader(bytes, 89, `${ex.what} (data array)`);
  field(105, 'word count', words);
  const scale = dv.getFloat64(73, true);
  if (!Number.isFinite(scale) || scale <= 0) fail(ex.what, `expected a positive scale, got ${scale}`);
  return { ntt: ntt === 1, scale, words: checkWords(bytes, CIPHERTEXT_DATA_OFFSET, words, ex) };
}

/** A plaintext or secret key: one polynomial at the expected level. */
export function parsePlaintext(bytes: Uint8Array, ex: Expected): { scale: number; words: Uint32Array } {
  const dv = readHeader(bytes, 0, ex.what);
  const words = polyWords(ex.basis);
  const total = PLAINTEXT_DATA_OFFSET + 8 * words;
  if (bytes.length !== total) fail(ex.what, `expected ${total} bytes, got ${bytes.length}${bytes.length < total ? ' (truncated)' : ''}`);
  if (dv.getBigUint64(8, true) !== BigInt(total)) fail(ex.what, `header says ${dv.getBigUint64(8, true)} bytes, the object has ${total}`);
  checkParmsId(dv, ex);
  if (dv.getBigUint64(48, true) !== BigInt(words)) fail(ex.what, `expected coeff_count ${words}, got ${dv.getBigUint64(48, true)}`);
  readHeader(bytes, 64, `${ex.what} (data array)`);
  if (dv.getBigUint64(80, true) !== BigInt(words)) fail(ex.what, `expected word count ${words}, got ${dv.getBigUint64(80, true)}`);
  return { scale: dv.getFloat64(56, true), words: checkWords(bytes, PLAINTEXT_DATA_OFFSET, words, ex) };
}

/** A copy of a SEAL-made ciphertext image with its words, NTT flag and scale replaced. */
export function ciphertextImage(template: Uint8Array, words: Uint32Array, ntt: boolean, scale: number): Uint8Array {
  const out = template.slice();
  const dataBytes = out.length - CIPHERTEXT_DATA_OFFSET;
  if (words.byteLength !== dataBytes) throw new RangeError(`ciphertext image holds ${dataBytes} data bytes, got ${words.byteLength}`);
  out.set(new Uint8Array(words.buffer, words.byteOffset, words.byteLength), CIPHERTEXT_DATA_OFFSET);
  out[48] = ntt ? 1 : 0;
  new DataView(out.buffer).setFloat64(73, scale, true);
  return out;
}

/** A copy of a SEAL-made plaintext or secret-key image with its words (and scale) replaced. */
export function plaintextImage(template: Uint8Array, words: Uint32Array, scale?: number): Uint8Array {
  const out = template.slice();
  const dataBytes = out.length - PLAINTEXT_DATA_OFFSET;
  if (words.byteLength !== dataBytes) throw new RangeError(`plaintext image holds ${dataBytes} data bytes, got ${words.byteLength}`);
  out.set(new Uint8Array(words.buffer, words.byteOffset, words.byteLength), PLAINTEXT_DATA_OFFSET);
  if (scale !== undefined) new DataView(out.buffer).setFloat64(56, scale, true);
  return out;
}

/**
 * A seeded two-polynomial object (SEAL's compact public key): c0 words, then
 * a SEAL header, the PRNG type (1 = blake2xb) and the 64-byte seed of c1.
 */
export function readSeeded(bytes: Uint8Array, ex: Expected): { c0: Uint32Array; seed: Uint8Array } {
  const dv = readHeader(bytes, 0, ex.what);
  const words = polyWords(ex.basis);
  const total = seededSeedOffset(ex.basis) + 64;
  if (bytes.length !== total) fail(ex.what, `expected ${total} bytes, got ${bytes.length}${bytes.length < total ? ' (truncated)' : ''}`);
  if (dv.getBigUint64(8, true) !== BigInt(total)) fail(ex.what, `header says ${dv.getBigUint64(8, true)} bytes, the object has ${total}`);
  checkParmsId(dv, ex);
  if (dv.getBigUint64(49, true) !== 2n) fail(ex.what, 'expected 2 polynomials');
  if (dv.getBigUint64(57, true) !== BigInt(ex.basis.n) || dv.getBigUint64(65, true) !== BigInt(ex.basis.q.length)) {
    fail(ex.what, 'ring degree or number of primes differs from this run\'s parameters');
  }
  if (dv.getBigUint64(105, true) !== BigInt(words)) fail(ex.what, `expected a seeded object of ${words} words, got ${dv.getBigUint64(105, true)}`);
  const seedHeader = CIPHERTEXT_DATA_OFFSET + 8 * words;
  readHeader(bytes, seedHeader, `${ex.what} (seed)`);
  if (bytes[seedHeader + HEADER_BYTES] !== 1) fail(ex.what, `expected PRNG type 1 (blake2xb), got ${bytes[seedHeader + HEADER_BYTES]}`);
  return { c0: checkWords(bytes, CIPHERTEXT_DATA_OFFSET, words, ex), seed: bytes.slice(seedHeader + HEADER_BYTES + 1) };
}

/** The 64-byte PRNG seed of a seeded object sits after its own header and a prng-type byte. */
export function seededSeedOffset(basis: RnsBasis): number {
  return CIPHERTEXT_DATA_OFFSET + 8 * polyWords(basis) + HEADER_BYTES + 1;
}

/** Words of SEAL's own save (compression none); the caller knows the offset. */
export function wordsOf(bytes: Uint8Array, at: number, count: number): Uint32Array {
  return new Uint32Array(bytes.slice(at, at + 8 * count).buffer);
}
