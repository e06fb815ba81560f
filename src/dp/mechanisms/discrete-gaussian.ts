/**
 * The exact discrete Gaussian noise the grid mechanism adds, one value per
 * model parameter per step, from a CSPRNG, on either engine:
 *
 * - native engine: native/noise.c, the same algorithm as DiscreteGaussianPow2
 *   (discrete-samplers.ts) reading random bits the same way, from a ChaCha20
 *   keystream per chunk of NOISE_CHUNK values under a fresh key from
 *   node:crypto; chunks are drawn in parallel on the add-on's threads;
 * - wasm engine (and when the add-on is missing): DiscreteGaussianPow2 on
 *   node:crypto's bits.
 *
 * For the same random words both give the same numbers (test/dp/discrete-gaussian.test.ts).
 * The noise does not depend on the data, so a caller that knows a release is
 * coming (a DP-SGD step) can start the draw early on a background thread
 * (PendingNoise) and collect it when the clipped sum is ready.
 */
import { randomBytes } from 'node:crypto';
import { nativeKernels, type NativeAddon, type NoiseHandle } from '../../engine/native-addon.js';
import { DiscreteGaussianPow2 } from './discrete-samplers.js';
import { SecureBits } from './secure-bits.js';

/** Values per ChaCha20 stream in the native sampler (native/noise.c PM_NOISE_CHUNK). */
export const NOISE_CHUNK = 4096;

/**
 * `count` independent exact discrete Gaussian values of scale 2^log2Scale.
 * engine 'js' skips the add-on (tests of the fallback).
 */
export function discreteGaussianNoise(count: number, log2Scale: number, engine: 'auto' | 'js' = 'auto'): Float64Array {
  const sampler = new DiscreteGaussianPow2(new SecureBits(), log2Scale); // checks the scale
  const out = new Float64Array(count);
  const addon = engine === 'auto' ? nativeKernels() : null;
  if (addon !== null) {
    const key = randomBytes(32);
    const rc = addon.discreteGaussian(key, log2Scale, out);
    key.fill(0);
    if (rc === 0) return out;
  }
  for (let i = 0; i < count; i++) out[i] = sampler.sample();
  return out;
}

/** Noise being drawn ahead of its release: on the add-on's background thread with the native engine, at take() otherwise. */
export class PendingNoise {
  private readonly addon: NativeAddon | null = nativeKernels();
  private handle: NoiseHandle | null = null;

  constructor(
    readonly count: number,
    readonly log2Scale: number,
  ) {
    new DiscreteGaussianPow2(new SecureBits(), log2Scale); // checks the scale
    if (this.addon !== null) {
      const key = randomBytes(32);
      this.handle = this.addon.noiseStart(key, log2Scale, count);
      key.fill(0);
    }
  }

  /** The values (once): waits for the background draw, helping it on the add-on's threads. */
  take(): Float64Array {
    const { addon, handle } = this;
    this.handle = null;
    if (addon !== null && handle !== null) {
      const out = new Float64Array(this.count);
      if (addon.noiseWait(handle, out) === 0) return out;
    }
    return discreteGaussianNoise(this.count, this.log2Scale);
  }
}
