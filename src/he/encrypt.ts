import { HeError } from './errors.js';
import { parseDataCiphertext, type HeContext } from './context.js';
import { encodeChunks } from './packing.js';
import type { SealCipherText, SealPublicKey } from './seal.js';

/**
 * Upload side and coordinator side of the sum. Nodes encrypt under the
 * collective *public* key only: a symmetric upload under a node's own share
 * would be opened by that node's decryption share (docs/he.md,
 * test/he/symmetric-upload.test.ts).
 */
export type Encryptor = ReturnType<HeContext['seal']['Encryptor']>;

export function collectiveEncryptor(he: HeContext, pk: SealPublicKey): Encryptor {
  return he.seal.Encryptor(he.ctx, pk);
}

/** One chunk (<= N values, pre-weighted, clipped) as SEAL ciphertext bytes. */
export function encryptChunk(he: HeContext, enc: Encryptor, values: ArrayLike<number>, what: string): Uint8Array {
  return encryptChunks(he, enc, [values], what)[0]!;
}

export function encryptChunks(he: HeContext, enc: Encryptor, chunks: readonly ArrayLike<number>[], what: string): Uint8Array[] {
  return encodeChunks(he, chunks, what).map((pt) => {
    const ct = enc.encrypt(pt)!;
    const bytes = ct.saveArray(he.seal.ComprModeType.none);
    pt.delete();
    ct.delete();
    return bytes;
  });
}

/** Running sum of uploaded ciphertexts for one chunk, in SEAL. */
export class CiphertextSum {
  private acc: SealCipherText | undefined;
  count = 0;
  constructor(private readonly he: HeContext) {}

  /**
   * Validates (data level, NTT, scale Delta, words < q) before adding; `what`
   * names the sender. SEAL's own load checks the words; when it refuses, our
   * parser says why in words.
   */
  add(bytes: Uint8Array, what: string): void {
    const ct = this.he.seal.CipherText();
    try {
      ct.loadArray(this.he.ctx, bytes);
    } catch (cause) {
      ct.delete();
      parseDataCiphertext(this.he, bytes, what, 2 ** this.he.params.scaleBits);
      throw new HeError('malformed', `${what}: SEAL refused the ciphertext`, { cause });
    }
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const id = this.he.dataParmsId;
    const sameLevel = id.every((w, i) => dv.getBigUint64(16 + 8 * i, true) === w);
    if (!sameLevel || ct.size !== 2 || !ct.isNttForm || ct.scale !== 2 ** this.he.params.scaleBits) {
      ct.delete();
      parseDataCiphertext(this.he, bytes, what, 2 ** this.he.params.scaleBits);
      throw new HeError('malformed', `${what}: not a fresh ciphertext at this run's level`);
    }
    if (this.acc === undefined) this.acc = ct;
    else {
      this.he.evaluator.add(this.acc, ct, this.acc);
      ct.delete();
    }
    this.count++;
  }

  bytes(): Uint8Array {
    if (this.acc === undefined) throw new HeError('protocol', 'no ciphertexts were added');
    return this.acc.saveArray(this.he.seal.ComprModeType.none);
  }

  dispose(): void {
    this.acc?.delete();
    this.acc = undefined;
  }
}
