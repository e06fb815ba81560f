/** Mirror flips and quarter turns of an HWC image. */
import type { ImageShape } from '../image-shape.js';

export function flipHorizontal(src: Float32Array, s: ImageShape): Float32Array {
  const out = new Float32Array(src.length);
  const c = s.channels;
  for (let y = 0; y < s.height; y++) {
    for (let x = 0; x < s.width; x++) {
      const from = (y * s.width + (s.width - 1 - x)) * c;
      for (let k = 0; k < c; k++) out[(y * s.width + x) * c + k] = src[from + k]!;
    }
  }
  return out;
}

export function flipVertical(src: Float32Array, s: ImageShape): Float32Array {
  const out = new Float32Array(src.length);
  const row = s.width * s.channels;
  for (let y = 0; y < s.height; y++) out.set(src.subarray((s.height - 1 - y) * row, (s.height - y) * row), y * row);
  return out;
}

/** Rotates a square image by k quarter turns counter-clockwise. */
export function rotate90(src: Float32Array, s: ImageShape, k: number): Float32Array {
  const turns = ((k % 4) + 4) % 4;
  if (turns === 0) return src.slice();
  if (s.height !== s.width) throw new RangeError(`quarter turns need a square image, got ${s.height}x${s.width}`);
  const n = s.height;
  const c = s.channels;
  const out = new Float32Array(src.length);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      // (y, x) of the output comes from the source pixel that k counter-clockwise turns move there.
      const [sy, sx] = turns === 1 ? [x, n - 1 - y] : turns === 2 ? [n - 1 - y, n - 1 - x] : [n - 1 - x, y];
      for (let ch = 0; ch < c; ch++) out[(y * n + x) * c + ch] = src[(sy * n + sx) * c + ch]!;
    }
  }
  return out;
}
