/**
 * HED stain augmentation (Tellez et al. 2018): colour deconvolution with
 * Ruifrok and Johnston's H&E-DAB matrix, each stain's concentration scaled
 * by U(1 - sigma, 1 + sigma) and shifted by U(-bias, bias), then back to RGB.
 */
import type { Rng } from '../../common/rng.js';
import { fromOpticalDensity, opticalDensity } from './colour.js';

/** Rows: haematoxylin, eosin, DAB optical-density vectors (Ruifrok & Johnston 2001), normalised. */
export const RUIFROK_HED: readonly (readonly [number, number, number])[] = [
  [0.65, 0.7, 0.29],
  [0.07, 0.99, 0.11],
  [0.27, 0.57, 0.78],
].map((r) => {
  const n = Math.hypot(r[0]!, r[1]!, r[2]!);
  return [r[0]! / n, r[1]! / n, r[2]! / n] as const;
});

/** Inverse of a 3x3 row-major matrix given as rows. */
function invert3(m: readonly (readonly number[])[]): number[][] {
  const [a, b, c] = m[0]!;
  const [d, e, f] = m[1]!;
  const [g, h, i] = m[2]!;
  const det = a! * (e! * i! - f! * h!) - b! * (d! * i! - f! * g!) + c! * (d! * h! - e! * g!);
  return [
    [(e! * i! - f! * h!) / det, (c! * h! - b! * i!) / det, (b! * f! - c! * e!) / det],
    [(f! * g! - d! * i!) / det, (a! * i! - c! * g!) / det, (c! * d! - a! * f!) / det],
    [(d! * h! - e! * g!) / det, (b! * g! - a! * h!) / det, (a! * e! - b! * d!) / det],
  ];
}

const HED_FROM_OD = invert3(RUIFROK_HED);

export interface HedJitter {
  /** Scale range per stain: U(1 - sigma, 1 + sigma). */
  sigma: number;
  /** Shift range per stain: U(-bias, bias), in optical-density units. */
  bias: number;
}

/** Per-pixel stain concentrations [h, e, d] of an RGB image. */
export function rgbToHed(rgb: Float32Array): Float32Array {
  const od = opticalDensity(rgb);
  const out = new Float32Array(od.length);
  for (let p = 0; p < od.length; p += 3) {
    for (let s = 0; s < 3; s++) out[p + s] = od[p]! * HED_FROM_OD[0]![s]! + od[p + 1]! * HED_FROM_OD[1]![s]! + od[p + 2]! * HED_FROM_OD[2]![s]!;
  }
  return out;
}

export function hedToRgb(hed: Float32Array): Float32Array {
  const od = new Float32Array(hed.length);
  for (let p = 0; p < hed.length; p += 3) {
    for (let k = 0; k < 3; k++) od[p + k] = hed[p]! * RUIFROK_HED[0]![k]! + hed[p + 1]! * RUIFROK_HED[1]![k]! + hed[p + 2]! * RUIFROK_HED[2]![k]!;
  }
  return fromOpticalDensity(od);
}

/** Applies the given per-stain scales and shifts (exposed so tests can use known values). */
export function hedTransform(rgb: Float32Array, scale: readonly number[], shift: readonly number[]): Float32Array {
  const hed = rgbToHed(rgb);
  for (let i = 0; i < hed.length; i++) hed[i] = hed[i]! * scale[i % 3]! + shift[i % 3]!;
  return hedToRgb(hed);
}

export function randomHed(rgb: Float32Array, jitter: HedJitter, rng: Rng): Float32Array {
  const scale = [0, 1, 2].map(() => rng.uniform(1 - jitter.sigma, 1 + jitter.sigma));
  const shift = [0, 1, 2].map(() => rng.uniform(-jitter.bias, jitter.bias));
  return hedTransform(rgb, scale, shift);
}
