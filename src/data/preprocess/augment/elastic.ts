/**
 * Elastic deformation (Simard et al., ICDAR 2003): random displacement fields
 * in [-1, 1], smoothed with a Gaussian of `sigma` pixels, scaled by `alpha`
 * pixels, applied with bilinear sampling.
 */
import type { Rng } from '../../../common/rng.js';
import type { ImageShape } from '../image-shape.js';
import { sampleBilinear } from './sample.js';

function gaussianKernel(sigma: number): Float32Array {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float32Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) sum += k[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma));
  return k.map((v) => v / sum);
}

/** Separable Gaussian blur of an h x w field, edges clamped. */
function blur(f: Float32Array, h: number, w: number, k: Float32Array): Float32Array {
  const r = (k.length - 1) / 2;
  const tmp = new Float32Array(f.length);
  const out = new Float32Array(f.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let i = -r; i <= r; i++) acc += k[i + r]! * f[y * w + Math.min(w - 1, Math.max(0, x + i))]!;
      tmp[y * w + x] = acc;
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let i = -r; i <= r; i++) acc += k[i + r]! * tmp[Math.min(h - 1, Math.max(0, y + i)) * w + x]!;
      out[y * w + x] = acc;
    }
  }
  return out;
}

export interface ElasticOptions {
  alpha: number;
  sigma: number;
  p?: number;
  fill?: number;
}

export function elasticDeform(src: Float32Array, s: ImageShape, o: ElasticOptions, rng: Rng): Float32Array {
  if (rng.next() >= (o.p ?? 1) || o.alpha === 0) return src;
  const n = s.height * s.width;
  const k = gaussianKernel(o.sigma);
  const dx = blur(Float32Array.from({ length: n }, () => rng.uniform(-1, 1)), s.height, s.width, k);
  const dy = blur(Float32Array.from({ length: n }, () => rng.uniform(-1, 1)), s.height, s.width, k);
  const out = new Float32Array(src.length);
  for (let y = 0; y < s.height; y++) {
    for (let x = 0; x < s.width; x++) {
      const i = y * s.width + x;
      sampleBilinear(src, s, x + o.alpha * dx[i]!, y + o.alpha * dy[i]!, out, i * s.channels, o.fill ?? 0);
    }
  }
  return out;
}
