import { createHash, randomInt } from 'node:crypto';
import { systemRandom } from '../../src/crypto/random.js';
import {
  CiphertextSum,
  DEFAULT_CKKS_PARAMS,
  collectiveEncryptor,
  combineShares,
  createHeContext,
  decryptionShare,
  encryptChunk,
  loadCollectivePublicKey,
  openCombined,
  parseCiphertext,
  partialKey,
  inProcessCommittee,
  type Committee,
  type HeContext,
} from '../../src/he/index.js';

let shared: Promise<HeContext> | undefined;
export function heContext(): Promise<HeContext> {
  shared ??= createHeContext(DEFAULT_CKKS_PARAMS);
  return shared;
}

export function ids(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

/** Words of the data primes of a key-level polynomial (the first N L words). */
export function dataPart(he: HeContext, keyLevel: Uint32Array): Uint32Array {
  return keyLevel.subarray(0, 2 * he.data.n * he.data.q.length);
}

/** Key generation and Shamir re-sharing among n in-process parties. */
export function setupCommittee(he: HeContext, n: number, threshold: number, label: string): Committee {
  return inProcessCommittee(he, n, threshold, `${label}/${n}/${threshold}`, systemRandom);
}

/** A random subset of `size` members (the nodes still alive). */
export function randomActive(members: readonly number[], size: number): number[] {
  const pool = [...members];
  for (let i = pool.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, size).sort((x, y) => x - y);
}

/** Every member encrypts its vector (one chunk), the sum is decrypted by `active`. */
export function roundTrip(he: HeContext, c: Committee, inputs: readonly Float32Array[], active: readonly number[], aggregateLabel = 'agg'): Float64Array {
  return roundTripSeen(he, c, inputs, active, aggregateLabel).opened;
}

/** The round trip, with what the coordinator saw: the padded shares and the combined result. */
export function roundTripSeen(he: HeContext, c: Committee, inputs: readonly Float32Array[], active: readonly number[], aggregateLabel = 'agg') {
  const enc = collectiveEncryptor(he, loadCollectivePublicKey(he, c.publicKeyBytes, c.seed));
  return thresholdOpen(he, c, inputs.map((x) => encryptChunk(he, enc, x, 'node')), active, inputs[0]!.length, aggregateLabel);
}

/** Sums the ciphertexts as the coordinator does and opens the sum with the shares of `active`. */
export function thresholdOpen(he: HeContext, c: Committee, ciphertexts: readonly Uint8Array[], active: readonly number[], count: number, aggregateLabel = 'agg') {
  const sum = new CiphertextSum(he);
  ciphertexts.forEach((ct, i) => sum.add(ct, `node ${i + 1}`));
  const agg = parseCiphertext(sum.bytes(), { what: 'aggregate', basis: he.data, parmsId: he.dataParmsId });
  sum.dispose();
  const w = 2 * he.data.n * he.data.q.length;
  const c0 = agg.words.subarray(0, w);
  const c1 = agg.words.subarray(w);
  const aggregateId = createHash('sha256').update(aggregateLabel).digest();
  const shares = active.map((h) => {
    const dec = partialKey(he, c.keyShares.get(h)!, h, active);
    const s = decryptionShare(he, dec, c1, { consortiumKey: c.consortiumKey, aggregateId, active, holder: h, chunk: 0 }, systemRandom);
    dec.delete();
    return s;
  });
  const combined = combineShares(he, c0, shares);
  return { opened: openCombined(he, combined, c.consortiumKey, aggregateId, 0, count), shares, combined };
}

/** Float64 reference sum. */
export function plainSum(inputs: readonly Float32Array[]): Float64Array {
  const out = new Float64Array(inputs[0]!.length);
  for (const x of inputs) for (let k = 0; k < out.length; k++) out[k]! += x[k]!;
  return out;
}

export function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k]! - b[k]!));
  return m;
}

/** Pre-weighted updates: weight_i * values in [-1, 1], weights summing to 1 (Float32, as a node sends). */
export function weightedInputs(n: number, length: number): Float32Array[] {
  const weights = ids(n).map(() => 1 + randomInt(100));
  const total = weights.reduce((x, y) => x + y, 0);
  return weights.map((w) => Float32Array.from({ length }, () => ((randomInt(2 ** 24) / 2 ** 23 - 1) * w) / total));
}
