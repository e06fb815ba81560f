import type { RandomSource } from '../crypto/random.js';
import type { HeContext } from './context.js';
import { aggregateCkgShares, collectivePublicKeyBytes, crsPolynomial, crsSeed, generateKeyShare, type KeyShare } from './keygen.js';
import { dealShares, sumShares } from './threshold.js';

/**
 * The whole key setup of n parties run in one process, for simulations,
 * benches and tests: what each node does (CKG share, Shamir dealing, summing
 * what it received), in one loop. A federation runs the same steps, one per
 * node, with the shares travelling encrypted between nodes.
 */
export interface Committee {
  ids: number[];
  threshold: number;
  seed: Uint8Array;
  publicKeyBytes: Uint8Array;
  parties: KeyShare[];
  /** S(h) per holder id. */
  keyShares: Map<number, Uint32Array>;
  consortiumKey: Uint8Array;
}

export function inProcessCommittee(he: HeContext, n: number, threshold: number, publicContext: string, random: RandomSource): Committee {
  const ids = Array.from({ length: n }, (_, i) => i + 1);
  const seed = crsSeed(publicContext);
  const a = crsPolynomial(he, seed);
  const parties = ids.map(() => generateKeyShare(he, a));
  const publicKeyBytes = collectivePublicKeyBytes(he, aggregateCkgShares(he, parties.map((p) => p.ckgShare)), seed);
  const dataWords = 2 * he.data.n * he.data.q.length;
  const dealt = parties.map((p) => dealShares(he, p.secret.subarray(0, dataWords), ids, threshold, random));
  const keyShares = new Map(ids.map((h) => [h, sumShares(he, dealt.map((d) => d.get(h)!))]));
  return { ids, threshold, seed, publicKeyBytes, parties, keyShares, consortiumKey: random(32) };
}
