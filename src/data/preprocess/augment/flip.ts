/** Mirror flips of an HWC image. */
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
