/**
 * The PRG of the comparison keys: AES-128 under a fixed, public key in
 * Matyas-Meyer-Oseas mode, G(s) = (AES(s) ^ s) || (AES(s ^ 1) ^ (s ^ 1)),
 * batched through one reused ECB cipher. Keying AES with each seed would cost
 * a cipher object per seed (about 0.2 M per second in Node), so the key is
 * fixed and the seed enters as the plaintext, as in sycret's and LLAMA's
 * fixed-key constructions (correlation-robust hash of the seed).
 */
import { createCipheriv, randomFillSync, type Cipher } from 'node:crypto';

/** Public constant: anyone may know it. */
const FIXED_KEY = Buffer.from('privmed-smpc-dcf', 'latin1');
/** Seeds per AES call: 2 blocks each, 128 KiB per update stays in cache. */
const CHUNK_SEEDS = 4096;

let cipher: Cipher | undefined;
function fixedCipher(): Cipher {
  if (!cipher) {
    cipher = createCipheriv('aes-128-ecb', FIXED_KEY, null);
    cipher.setAutoPadding(false);
  }
  return cipher;
}

/** AES-128 under the fixed key on whole blocks (the caller xors the input back in: Matyas-Meyer-Oseas). */
export function aesFixedBlocks(blocks: Uint8Array): Buffer {
  return fixedCipher().update(blocks);
}

const input = Buffer.alloc(CHUNK_SEEDS * 32);
const input32 = new Uint32Array(input.buffer, input.byteOffset, input.byteLength / 4);

const aligned = (a: Uint8Array): boolean => a.byteOffset % 4 === 0;

/**
 * out[32i .. 32i+32) = G(seeds[16i .. 16i+16)) for i < count: the left child
 * in bytes 0-15, the right one in 16-31. seeds and out must be 4-byte aligned.
 */
export function expandSeeds(seeds: Uint8Array, count: number, out: Uint8Array): void {
  if (!aligned(seeds) || !aligned(out)) throw new RangeError('expandSeeds needs 4-byte aligned arrays');
  const s32 = new Uint32Array(seeds.buffer, seeds.byteOffset, count * 4);
  const o32 = new Uint32Array(out.buffer, out.byteOffset, count * 8);
  const aes = fixedCipher();
  for (let start = 0; start < count; start += CHUNK_SEEDS) {
    const n = Math.min(CHUNK_SEEDS, count - start);
    for (let i = 0; i < n; i++) {
      const src = (start + i) * 4;
      const dst = i * 8;
      const a = s32[src]!;
      const b = s32[src + 1]!;
      const c = s32[src + 2]!;
      const d = s32[src + 3]!;
      input32[dst] = a;
      input32[dst + 1] = b;
      input32[dst + 2] = c;
      input32[dst + 3] = d;
      input32[dst + 4] = a ^ 1; // little-endian: bit 0 of byte 0
      input32[dst + 5] = b;
      input32[dst + 6] = c;
      input32[dst + 7] = d;
    }
    const encBuf = aes.update(input.subarray(0, n * 32));
    const enc = aligned(encBuf) ? new Uint32Array(encBuf.buffer, encBuf.byteOffset, n * 8) : new Uint32Array(new Uint8Array(encBuf).buffer);
    const base = start * 8;
    for (let j = 0; j < n * 8; j++) o32[base + j] = enc[j]! ^ input32[j]!;
  }
}

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
