/**
 * Random intensity changes. They assume values roughly in [0, 1] (before
 * normalisation): brightness adds a shift, contrast scales about the image
 * mean, gamma raises max(0, x) to a power.
 */
import type { Rng } from '../../../common/rng.js';

export function randomBrightness(src: Float32Array, maxDelta: number, rng: Rng): Float32Array {
  const d = rng.uniform(-maxDelta, maxDelta);
  return src.map((v) => v + d);
}

export function randomContrast(src: Float32Array, maxDelta: number, rng: Rng): Float32Array {
  const f = rng.uniform(1 - maxDelta, 1 + maxDelta);
  let mean = 0;
  for (const v of src) mean += v;
  mean /= src.length || 1;
  return src.map((v) => mean + (v - mean) * f);
}

export function randomGamma(src: Float32Array, range: [number, number], rng: Rng): Float32Array {
  const g = rng.uniform(range[0], range[1]);
  return src.map((v) => Math.max(0, v) ** g);
}

export function gaussianNoise(src: Float32Array, std: number, rng: Rng): Float32Array {
  return src.map((v) => v + std * rng.normal());
}
