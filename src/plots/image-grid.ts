/**
 * A grid of small images as one PNG (rows of equal-size [0, 1] images, HWC,
 * 1 or 3 channels), each pixel scaled up `scale` times without smoothing, a
 * 2-pixel white gutter between cells. For originals-vs-reconstructions views.
 */
import sharp from 'sharp';
import { PrivmedError } from '../common/errors.js';

export interface GridShape {
  height: number;
  width: number;
  channels: number;
}

export async function imageGridPng(rows: readonly (readonly Float32Array[])[], shape: GridShape, scale = 4): Promise<Buffer> {
  const { height: h, width: w, channels: c } = shape;
  if (c !== 1 && c !== 3) throw new PrivmedError(`an image grid takes 1 or 3 channels, got ${c}`);
  const cols = Math.max(1, ...rows.map((r) => r.length));
  const gap = 2;
  const cw = w * scale + gap;
  const ch = h * scale + gap;
  const W = cols * cw + gap;
  const H = rows.length * ch + gap;
  const out = Buffer.alloc(W * H * 3, 255);
  rows.forEach((row, r) =>
    row.forEach((img, k) => {
      if (img.length !== h * w * c) throw new PrivmedError(`grid cell ${r},${k} has ${img.length} values, not ${h}x${w}x${c}`);
      for (let y = 0; y < h * scale; y++) {
        for (let x = 0; x < w * scale; x++) {
          const src = (Math.floor(y / scale) * w + Math.floor(x / scale)) * c;
          const dst = ((gap + r * ch + y) * W + gap + k * cw + x) * 3;
          for (let j = 0; j < 3; j++) out[dst + j] = Math.round(255 * Math.min(1, Math.max(0, img[src + (c === 3 ? j : 0)]!)));
        }
      }
    }),
  );
  return sharp(out, { raw: { width: W, height: H, channels: 3 } }).png().toBuffer();
}
