import type { RandomSource } from './random.js';
import { RING_BITS } from './ring.js';

/**
 * Fixed-point reals in Z_{2^32}, two's complement: x is stored as
 * x * scale rounded to an integer, mod 2^32. A sum of encodings decodes
 * correctly while every coordinate stays in the signed range (-2^31, 2^31).
 *
 * Rounding is stochastic with CSPRNG coins, so each encoding is unbiased and
 * off by less than one step: a decoded sum of c encodings is within c / scale
 * of the exact sum.
 */
export const SIGNED_MAX = 2 ** (RING_BITS - 1) - 1;
const TWO_POW_MINUS_32 = 2 ** -32;

/** Largest |encoding| each of `parties` summands may have so that their sum stays in the signed range. */
export function perPartyBudget(parties: number): number {
  return Math.floor(SIGNED_MAX / parties) - 1;
}

/** floor(v + u), u = coin / 2^32 ~ U[0,1): rounds up with probability frac(v), so E = v. */
export function roundStochastic(v: number, coin: number): number {
  return Math.floor(v + coin * TWO_POW_MINUS_32);
}

/** Uniform 32-bit words, the rounding coins (byte order is irrelevant for coins). */
export function randomWords(count: number, random: RandomSource): Uint32Array {
  const bytes = random(4 * count);
  if (bytes.byteOffset % 4 === 0) return new Uint32Array(bytes.buffer, bytes.byteOffset, count);
  return new Uint32Array(bytes.slice().buffer);
}

/** values[i] * scale, stochastically rounded, as ring elements. */
export function encodeFixedPoint(values: ArrayLike<number>, scale: number, random: RandomSource): Uint32Array {
  const coins = randomWords(values.length, random);
  const out = new Uint32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = roundStochastic(values[i]! * scale, coins[i]!);
  return out;
}

/** The signed value of each ring element, divided by the scale. */
export function decodeFixedPoint(vector: Uint32Array, scale: number): Float64Array {
  const out = new Float64Array(vector.length);
  const inv = 1 / scale;
  for (let i = 0; i < vector.length; i++) out[i] = (vector[i]! | 0) * inv;
  return out;
}
