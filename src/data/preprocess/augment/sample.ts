/** Bilinear sampling of an HWC image at fractional coordinates (pixel centres at integers), with a fill value outside. */
import type { ImageShape } from '../image-shape.js';

export function sampleBilinear(src: Float32Array, s: ImageShape, x: number, y: number, out: Float32Array, outOffset: number, fill: number): void {
  const c = s.channels;
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  for (let k = 0; k < c; k++) {
    const at = (xx: number, yy: number) => (xx < 0 || yy < 0 || xx >= s.width || yy >= s.height ? fill : src[(yy * s.width + xx) * c + k]!);
    const top = at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx;
    const bottom = at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx;
    out[outOffset + k] = top * (1 - fy) + bottom * fy;
  }
}
