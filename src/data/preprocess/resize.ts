/**
 * Resampling of HWC float images. 'linear' is a separable triangle filter
 * whose support widens when shrinking (antialiased, like PIL's BILINEAR), so
 * that 256 -> 28 averages instead of aliasing; 'nearest' keeps label values.
 * Pixel centres are aligned (half-pixel convention).
 */
import { PrivmedError } from '../../common/errors.js';

export type ResizeMethod = 'linear' | 'nearest';

interface Taps {
  start: Int32Array;
  count: Int32Array;
  weights: Float32Array;
  width: number; // max taps per output
}

function linearTaps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const support = Math.max(1, scale);
  const width = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float32Array(outSize * width);
  for (let o = 0; o < outSize; o++) {
    const centre = (o + 0.5) * scale;
    const lo = Math.max(0, Math.floor(centre - support));
    const hi = Math.min(inSize, Math.ceil(centre + support));
    let total = 0;
    let n = 0;
    for (let i = lo; i < hi && n < width; i++, n++) {
      const w = Math.max(0, 1 - Math.abs((i + 0.5 - centre) / support));
      weights[o * width + n] = w;
      total += w;
    }
    start[o] = lo;
    count[o] = n;
    if (total > 0) for (let k = 0; k < n; k++) weights[o * width + k]! /= total;
    else {
      // degenerate: take the nearest input
      start[o] = Math.min(inSize - 1, Math.floor(centre));
      count[o] = 1;
      weights[o * width] = 1;
    }
  }
  return { start, count, weights, width };
}

export function resizeHwc(src: Float32Array, h: number, w: number, c: number, outH: number, outW: number, method: ResizeMethod = 'linear'): Float32Array {
  if (src.length !== h * w * c) throw new PrivmedError(`resize: ${src.length} values do not match ${h}x${w}x${c}`);
  if (!(outH >= 1 && outW >= 1 && Number.isInteger(outH) && Number.isInteger(outW))) throw new PrivmedError(`resize: invalid target size ${outH}x${outW}`);
  if (outH === h && outW === w) return src.slice();
  if (method === 'nearest') {
    const out = new Float32Array(outH * outW * c);
    for (let y = 0; y < outH; y++) {
      const sy = Math.min(h - 1, Math.floor(((y + 0.5) * h) / outH));
      for (let x = 0; x < outW; x++) {
        const sx = Math.min(w - 1, Math.floor(((x + 0.5) * w) / outW));
        for (let k = 0; k < c; k++) out[(y * outW + x) * c + k] = src[(sy * w + sx) * c + k]!;
      }
    }
    return out;
  }
  // horizontal pass then vertical pass
  const tx = linearTaps(w, outW);
  const mid = new Float32Array(h * outW * c);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < outW; x++) {
      const s = tx.start[x]!;
      const n = tx.count[x]!;
      for (let k = 0; k < c; k++) {
        let acc = 0;
        for (let t = 0; t < n; t++) acc += tx.weights[x * tx.width + t]! * src[(y * w + s + t) * c + k]!;
        mid[(y * outW + x) * c + k] = acc;
      }
    }
  }
  const ty = linearTaps(h, outH);
  const out = new Float32Array(outH * outW * c);
  for (let y = 0; y < outH; y++) {
    const s = ty.start[y]!;
    const n = ty.count[y]!;
    for (let x = 0; x < outW; x++) {
      for (let k = 0; k < c; k++) {
        let acc = 0;
        for (let t = 0; t < n; t++) acc += ty.weights[y * ty.width + t]! * mid[((s + t) * outW + x) * c + k]!;
        out[(y * outW + x) * c + k] = acc;
      }
    }
  }
  return out;
}
