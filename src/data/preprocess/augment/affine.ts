/**
 * Random affine augmentation (rotation, translation, isotropic scaling,
 * shear) about the image centre, sampled bilinearly by inverse mapping.
 */
import type { Rng } from '../../../common/rng.js';
import type { ImageShape } from '../image-shape.js';
import { sampleBilinear } from './sample.js';

export interface AffineOptions {
  /** Maximum absolute rotation in degrees. */
  rotateDeg?: number;
  /** Maximum translation as a fraction of width/height. */
  translate?: number;
  /** Scale factor range [min, max]. */
  scale?: [number, number];
  /** Maximum absolute shear angle in degrees (along x). */
  shearDeg?: number;
  /** Probability of applying it at all (default 1). */
  p?: number;
  /** Value outside the source image (default 0). */
  fill?: number;
}

export interface AffineParams {
  angleDeg: number;
  tx: number; // pixels
  ty: number;
  scale: number;
  shearDeg: number;
}

export function drawAffine(o: AffineOptions, shape: ImageShape, rng: Rng): AffineParams {
  const r = o.rotateDeg ?? 0;
  const t = o.translate ?? 0;
  const [smin, smax] = o.scale ?? [1, 1];
  const sh = o.shearDeg ?? 0;
  return {
    angleDeg: rng.uniform(-r, r),
    tx: rng.uniform(-t, t) * shape.width,
    ty: rng.uniform(-t, t) * shape.height,
    scale: rng.uniform(smin, smax),
    shearDeg: rng.uniform(-sh, sh),
  };
}

/** Applies forward map A = R(angle) * Shear * Scale, then translation, by sampling the inverse. */
export function applyAffine(src: Float32Array, shape: ImageShape, p: AffineParams, fill = 0): Float32Array {
  const th = (p.angleDeg * Math.PI) / 180;
  const sh = Math.tan((p.shearDeg * Math.PI) / 180);
  const cos = Math.cos(th);
  const sin = Math.sin(th);
  // A = [[cos, -sin], [sin, cos]] * [[1, sh], [0, 1]] * s
  const a = cos * p.scale;
  const b = (cos * sh - sin) * p.scale;
  const c = sin * p.scale;
  const d = (sin * sh + cos) * p.scale;
  const det = a * d - b * c;
  const ia = d / det;
  const ib = -b / det;
  const ic = -c / det;
  const id = a / det;
  const cx = (shape.width - 1) / 2;
  const cy = (shape.height - 1) / 2;
  const out = new Float32Array(src.length);
  for (let y = 0; y < shape.height; y++) {
    for (let x = 0; x < shape.width; x++) {
      const u = x - cx - p.tx;
      const v = y - cy - p.ty;
      sampleBilinear(src, shape, ia * u + ib * v + cx, ic * u + id * v + cy, out, (y * shape.width + x) * shape.channels, fill);
    }
  }
  return out;
}

export function randomAffine(src: Float32Array, shape: ImageShape, o: AffineOptions, rng: Rng): Float32Array {
  if (rng.next() >= (o.p ?? 1)) return src;
  return applyAffine(src, shape, drawAffine(o, shape, rng), o.fill ?? 0);
}
