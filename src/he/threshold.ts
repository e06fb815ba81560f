import type { RandomSource } from '../crypto/random.js';
import { HeError } from './errors.js';
import type { HeContext } from './context.js';
import { addInto, modPow, mulSmallInto, polyWords, uniformPoly } from './rns.js';

/**
 * t-out-of-n for the collective secret (Lattigo's Thresholdizer/Combiner,
 * Mouchet et al. eprint 2022/780): each party Shamir-shares its additive
 * share s_i (data primes only: decryption never uses the special prime)
 * coefficient-wise over Z_{q_j}; holder h sums what it receives into
 * S(h), a Shamir share of s = sum s_i. Any t holders T then hold additive
 * shares lambda_h^T S(h) of s.
 *
 * src/crypto's Shamir works over GF(2^255 - 19) on 32-byte secrets; here the
 * field is each RNS prime q_j and the secret N L words; the evaluation
 * points are small, so Horner's rule runs in float64 (rns.mulSmallInto) and
 * only the Lagrange scalars use BigInt.
 */
export function assertHolders(holders: readonly number[], threshold: number, n: number): void {
  const seen = new Set<number>();
  for (const h of holders) {
    if (!Number.isInteger(h) || h < 1 || h > 0xffff) throw new HeError('invalid-params', `holder id ${h} must be an integer in [1, 65535]`);
    if (seen.has(h)) throw new HeError('invalid-params', `holder ${h} appears twice`);
    seen.add(h);
  }
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > n) {
    throw new HeError('invalid-params', `threshold ${threshold} must be in [1, ${n}]`);
  }
}

/** Default t = ceil(2n/3). */
export function defaultThreshold(n: number): number {
  return Math.ceil((2 * n) / 3);
}

/** Shares of one data-level polynomial (NTT or not: sharing is coefficient-wise) for every holder. */
export function dealShares(
  he: HeContext,
  secret: Uint32Array,
  holders: readonly number[],
  threshold: number,
  random: RandomSource,
): Map<number, Uint32Array> {
  assertHolders(holders, threshold, holders.length);
  if (secret.length !== 2 * polyWords(he.data)) throw new RangeError(`secret must be ${polyWords(he.data)} data-level words`);
  const coeffs: Uint32Array[] = [];
  for (let k = 1; k < threshold; k++) coeffs.push(uniformPoly(he.data, random));
  const out = new Map<number, Uint32Array>();
  for (const h of holders) {
    // Horner: y = ((c_{t-1} h + c_{t-2}) h + ... + c_1) h + s
    const y = new Uint32Array(secret.length);
    for (let k = coeffs.length - 1; k >= 0; k--) mulSmallInto(he.data, y, h, coeffs[k]!);
    addInto(he.data, y, secret);
    out.set(h, y);
  }
  return out;
}

/** S(h): the sum of the shares holder h received from every dealer. */
export function sumShares(he: HeContext, received: readonly Uint32Array[]): Uint32Array {
  if (received.length === 0) throw new HeError('below-threshold', 'no key shares received');
  const acc = received[0]!.slice();
  for (const r of received.slice(1)) addInto(he.data, acc, r);
  return acc;
}

/** lambda_h^T mod each data prime: prod_{k in T, k != h} k / (k - h). */
export function lagrangeAtZero(he: HeContext, holder: number, active: readonly number[]): bigint[] {
  if (!active.includes(holder)) throw new HeError('protocol', `node ${holder} is not in the active set [${active.join(', ')}]`);
  return he.data.q.map((q) => {
    let num = 1n;
    let den = 1n;
    for (const k of active) {
      if (k === holder) continue;
      num = (num * BigInt(k)) % q;
      den = (den * ((((BigInt(k) - BigInt(holder)) % q) + q) % q)) % q;
    }
    return (num * modPow(den, q - 2n, q)) % q;
  });
}
