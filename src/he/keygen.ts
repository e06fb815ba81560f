import { createHash } from 'node:crypto';
import { equalBytes } from '../crypto/bytes.js';
import { HeError } from './errors.js';
import { readSeeded, seededSeedOffset, wordsOf, CIPHERTEXT_DATA_OFFSET, PLAINTEXT_DATA_OFFSET } from './layout.js';
import { addInto, mulPointwise, polyWords } from './rns.js';
import type { HeContext } from './context.js';
import type { SealPublicKey } from './seal.js';

/**
 * Collective key generation (CKG) from a common reference polynomial, as in
 * Mouchet et al. (eprint 2020/304) and Lattigo's PublicKeyGenProtocol: party
 * i holds a fresh ternary s_i, publishes p_i = -(a s_i + e_i), and the
 * collective key is (sum p_i, a) for s = sum s_i. Everything is at the key
 * level (data primes + special prime) and in NTT form, as SEAL keeps keys.
 */
const CRS_SEED_BYTES = 64;

/** The public CRS seed: SHA-512 over the run's public context (run id, roster, parameters). */
export function crsSeed(publicContext: string): Uint8Array {
  return new Uint8Array(createHash('sha512').update('privmed/he/ckg/v1\0').update(publicContext).digest());
}

/** a, expanded by SEAL's own PRNG (blake2xb) from the seed: load a seeded public key image. */
export function crsPolynomial(he: HeContext, seed: Uint8Array): Uint32Array {
  const img = seededImage(he, new Uint32Array(2 * polyWords(he.key)), seed);
  const pk = he.seal.PublicKey();
  pk.loadArray(he.ctx, img);
  const w = polyWords(he.key);
  const out = wordsOf(pk.saveArray(he.seal.ComprModeType.none), CIPHERTEXT_DATA_OFFSET + 8 * w, w);
  pk.delete();
  return out;
}

function seededImage(he: HeContext, c0: Uint32Array, seed: Uint8Array): Uint8Array {
  if (seed.length !== CRS_SEED_BYTES) throw new RangeError(`a CRS seed is ${CRS_SEED_BYTES} bytes, got ${seed.length}`);
  const out = he.templates.seededPublicKey.slice();
  out.set(new Uint8Array(c0.buffer, c0.byteOffset, c0.byteLength), CIPHERTEXT_DATA_OFFSET);
  out.set(seed, seededSeedOffset(he.key));
  return out;
}

export interface KeyShare {
  /** s_i at the key level, NTT form (SEAL's secret key words). Never leaves the node. */
  secret: Uint32Array;
  /** p_i = -(a s_i + e_i), published to the other parties (through the coordinator). */
  ckgShare: Uint32Array;
}

/** A fresh secret share and its CKG share on the CRS polynomial a. */
export function generateKeyShare(he: HeContext, a: Uint32Array): KeyShare {
  const kg = he.seal.KeyGenerator(he.ctx);
  const none = he.seal.ComprModeType.none;
  const w = polyWords(he.key);
  const secret = wordsOf(kg.secretKey().saveArray(none), PLAINTEXT_DATA_OFFSET, w);
  // A throw-away key (b', a') = (-(a' s + e'), a') for the same s carries a fresh e' in NTT form:
  // p = b' + (a' - a) s = -(a s + e').
  const pk = wordsOf(kg.createPublicKey().saveArray(none), CIPHERTEXT_DATA_OFFSET, 2 * w);
  kg.delete();
  const diff = pk.subarray(2 * w).slice();
  addInto(he.key, diff, a, -1);
  const share = pk.subarray(0, 2 * w).slice();
  addInto(he.key, share, mulPointwise(he.key, diff, secret));
  return { secret, ckgShare: share };
}

/** b = sum of the parties' CKG shares. */
export function aggregateCkgShares(he: HeContext, shares: readonly Uint32Array[]): Uint32Array {
  if (shares.length === 0) throw new HeError('below-threshold', 'no CKG shares to aggregate');
  const b = shares[0]!.slice();
  for (const s of shares.slice(1)) addInto(he.key, b, s);
  return b;
}

/** The collective public key in SEAL's seeded form: b and the CRS seed (SEAL re-expands a). */
export function collectivePublicKeyBytes(he: HeContext, b: Uint32Array, seed: Uint8Array): Uint8Array {
  return seededImage(he, b, seed);
}

/**
 * Load a published collective key, refusing one that is not on this run's
 * CRS seed: a key on another `a` would let whoever chose it decrypt.
 */
export function loadCollectivePublicKey(he: HeContext, bytes: Uint8Array, seed: Uint8Array, what = 'collective public key'): SealPublicKey {
  const parsed = readSeeded(bytes, { what, basis: he.key, parmsId: he.keyParmsId });
  if (!equalBytes(parsed.seed, seed)) throw new HeError('malformed', `${what}: not generated from this run's CRS seed`);
  const pk = he.seal.PublicKey();
  pk.loadArray(he.ctx, bytes);
  return pk;
}
