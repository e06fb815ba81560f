import { Field } from '@noble/curves/abstract/modular.js';
import { CryptoError } from './errors.js';
import type { RandomSource } from './random.js';

/**
 * Shamir secret sharing of 32-byte secrets over GF(p), p = 2^255 - 19.
 *
 * Secrets must be below p (randomFieldElementBytes, or an X25519 key from
 * generateX25519KeyPair), so one field element holds a whole secret and a
 * share is 32 bytes. A holder's evaluation point is its id (>= 1).
 */
const Fp = Field(2n ** 255n - 19n, { isLE: true });

export const SECRET_BYTES = 32;

export interface Share {
  holder: number;
  share: Uint8Array;
}

/** True when the 32 little-endian bytes are a field element (value < p). */
export function isFieldElement(bytes: Uint8Array): boolean {
  if (bytes.length !== SECRET_BYTES) return false;
  return bytesToNumberLE(bytes) < Fp.ORDER;
}

/** A uniformly random field element, by rejection sampling 255-bit strings. */
export function randomFieldElementBytes(random: RandomSource): Uint8Array {
  for (;;) {
    const b = random(SECRET_BYTES);
    b[31]! &= 0x7f;
    if (isFieldElement(b)) return b;
  }
}

export function shareSecret(
  secret: Uint8Array,
  holders: readonly number[],
  threshold: number,
  random: RandomSource,
): Map<number, Uint8Array> {
  if (!isFieldElement(secret)) throw new CryptoError('invalid-argument', 'a shared secret must be a 32-byte field element');
  if (threshold < 1 || threshold > holders.length) {
    throw new CryptoError('below-threshold', `cannot share among ${holders.length} holders with threshold ${threshold}`);
  }
  assertDistinctPoints(holders);
  const coefficients = [Fp.fromBytes(secret)];
  for (let i = 1; i < threshold; i++) coefficients.push(Fp.fromBytes(randomFieldElementBytes(random)));
  const out = new Map<number, Uint8Array>();
  for (const holder of holders) {
    const x = BigInt(holder);
    let y = Fp.ZERO;
    for (let i = coefficients.length - 1; i >= 0; i--) y = Fp.add(Fp.mul(y, x), coefficients[i]!);
    out.set(holder, Fp.toBytes(y));
  }
  return out;
}

/**
 * Lagrange interpolation at 0 from the first `threshold` shares. With fewer
 * shares the secret is information-theoretically hidden, so we refuse.
 */
export function reconstructSecret(shares: readonly Share[], threshold: number): Uint8Array {
  if (shares.length < threshold) {
    throw new CryptoError('below-threshold', `have ${shares.length} shares, need ${threshold} to reconstruct`);
  }
  const used = shares.slice(0, threshold);
  assertDistinctPoints(used.map((s) => s.holder));
  const xs = used.map((s) => BigInt(s.holder));
  const ys = used.map((s) => {
    if (!isFieldElement(s.share)) throw new CryptoError('malformed', `share from holder ${s.holder} is not a field element`);
    return Fp.fromBytes(s.share);
  });
  // secret = sum_i y_i * prod_{j != i} x_j / (x_j - x_i)
  const numerators: bigint[] = [];
  const denominators: bigint[] = [];
  for (let i = 0; i < xs.length; i++) {
    let num = Fp.ONE;
    let den = Fp.ONE;
    for (let j = 0; j < xs.length; j++) {
      if (j === i) continue;
      num = Fp.mul(num, xs[j]!);
      den = Fp.mul(den, Fp.sub(Fp.create(xs[j]!), Fp.create(xs[i]!)));
    }
    numerators.push(num);
    denominators.push(den);
  }
  const inverses = Fp.invertBatch(denominators);
  let secret = Fp.ZERO;
  for (let i = 0; i < xs.length; i++) secret = Fp.add(secret, Fp.mul(ys[i]!, Fp.mul(numerators[i]!, inverses[i]!)));
  return Fp.toBytes(secret);
}

function assertDistinctPoints(points: readonly number[]): void {
  const seen = new Set<number>();
  for (const p of points) {
    if (!Number.isInteger(p) || p < 1 || p > 0xffffffff) throw new CryptoError('invalid-argument', `invalid share holder id ${p}`);
    if (seen.has(p)) throw new CryptoError('invalid-argument', `share holder ${p} appears twice`);
    seen.add(p);
  }
}

function bytesToNumberLE(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return v;
}
