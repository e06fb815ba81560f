/**
 * Colour handling for decoded DICOM samples (PS3.3 C.7.6.3.1.2): YBR_FULL to
 * RGB, and reduction to one grey channel for models that take greyscale.
 */
import type { StoredFrame } from './stored-values.js';

/** In-place YCbCr (full range, as JPEG/JFIF) to RGB, clamped to the sample range. */
export function ybrFullToRgb(v: StoredFrame, bits: number): StoredFrame {
  const half = 2 ** (bits - 1);
  const max = 2 ** bits - 1;
  const clamp = (x: number) => Math.min(max, Math.max(0, Math.round(x)));
  for (let i = 0; i + 2 < v.length; i += 3) {
    const y = v[i]!;
    const cb = v[i + 1]! - half;
    const cr = v[i + 2]! - half;
    v[i] = clamp(y + 1.402 * cr);
    v[i + 1] = clamp(y - 0.344136 * cb - 0.714136 * cr);
    v[i + 2] = clamp(y + 1.772 * cb);
  }
  return v;
}

/** ITU-R BT.601 luma of interleaved RGB. */
export function rgbToGrey(v: ArrayLike<number>, pixels: number): Float32Array {
  const out = new Float32Array(pixels);
  for (let p = 0; p < pixels; p++) out[p] = 0.299 * v[3 * p]! + 0.587 * v[3 * p + 1]! + 0.114 * v[3 * p + 2]!;
  return out;
}
