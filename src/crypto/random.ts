import { randomFillSync } from 'node:crypto';

/**
 * Where secret randomness comes from. Production code uses the operating
 * system CSPRNG; tests may pass a seeded stream to make statistical checks
 * reproducible. Never pass a non-cryptographic generator in production.
 */
export type RandomSource = (length: number) => Uint8Array;

export const systemRandom: RandomSource = (length) => randomFillSync(new Uint8Array(length));
