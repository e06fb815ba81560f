/**
 * Joint augmentation of an image and its mask: one random affine map
 * (rotation, isotropic scale, shift, optional flips) applied to both, the
 * image with bilinear interpolation, the mask with nearest neighbour (a
 * class is never blended into another); then a random brightness and
 * contrast change of the image alone. Pixels mapped from outside are 0
 * (the case mean after z-scoring) and background.
 */
import type { Rng } from '../../common/rng.js';
import type { Sample, Transform } from '../dataset.js';

export interface SegAugmentOptions {
  height: number;
  width: number;
  channels: number;
  rotateDeg?: number;
  /** Scale drawn from [1 - scale, 1 + scale]. */
  scale?: number;
  /** Shift as a fraction of the side. */
  translate?: number;
  flipRows?: boolean;
  flipCols?: boolean;
  /** Multiplicative contrast and additive brightness ranges (z-scored units). */
  contrast?: number;
  brightness?: number;
}

export function segAugmentation(o: SegAugmentOptions): Transform {
  const { height: h, width: w, channels: ch } = o;
  return (s: Sample, rng: Rng): Sample => {
    if (!s.mask) return s;
    const angle = ((rng.uniform(-1, 1) * (o.rotateDeg ?? 10)) * Math.PI) / 180;
    const scale = 1 + rng.uniform(-1, 1) * (o.scale ?? 0.1);
    const ty = rng.uniform(-1, 1) * (o.translate ?? 0.05) * h;
    const tx = rng.uniform(-1, 1) * (o.translate ?? 0.05) * w;
    const fr = o.flipRows && rng.next() < 0.5 ? -1 : 1;
    const fc = o.flipCols && rng.next() < 0.5 ? -1 : 1;
    const contrast = 1 + rng.uniform(-1, 1) * (o.contrast ?? 0.1);
    const brightness = rng.uniform(-1, 1) * (o.brightness ?? 0.1);
    const cos = Math.cos(angle) / scale;
    const sin = Math.sin(angle) / scale;
    const cy = (h - 1) / 2;
    const cx = (w - 1) / 2;
    const image = new Float32Array(s.image.length);
    const mask = new Int32Array(s.mask.length);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        // Output pixel -> source position (inverse map).
        const dy = (y - cy - ty) * fr;
        const dx = (x - cx - tx) * fc;
        const sy = cos * dy - sin * dx + cy;
        const sx = sin * dy + cos * dx + cx;
        const ny = Math.round(sy);
        const nx = Math.round(sx);
        if (ny >= 0 && ny < h && nx >= 0 && nx < w) mask[y * w + x] = s.mask[ny * w + nx]!;
        const y0 = Math.floor(sy);
        const x0 = Math.floor(sx);
        const fy = sy - y0;
        const fx = sx - x0;
        for (let k = 0; k < ch; k++) {
          const at = (yy: number, xx: number) => (yy >= 0 && yy < h && xx >= 0 && xx < w ? s.image[(yy * w + xx) * ch + k]! : 0);
          const v = (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) + fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
          image[(y * w + x) * ch + k] = v * contrast + brightness;
        }
      }
    }
    return { ...s, image, mask };
  };
}
