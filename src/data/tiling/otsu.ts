/** Otsu's threshold and the HSV saturation it is taken on for tissue detection. */

/** The threshold (a bin index 0..255, class "above" starts at it + 1) maximising between-class variance of a 256-bin histogram. */
export function otsuThreshold(histogram: ArrayLike<number>): number {
  let total = 0;
  let sumAll = 0;
  for (let i = 0; i < 256; i++) {
    total += histogram[i]!;
    sumAll += i * histogram[i]!;
  }
  let wB = 0;
  let sumB = 0;
  let best = 0;
  let bestVar = -1;
  for (let t = 0; t < 256; t++) {
    wB += histogram[t]!;
    if (wB === 0) continue;
    const wF = total - wB;
    if (wF === 0) break;
    sumB += t * histogram[t]!;
    const mB = sumB / wB;
    const mF = (sumAll - sumB) / wF;
    const between = wB * wF * (mB - mF) ** 2;
    if (between > bestVar) {
      bestVar = between;
      best = t;
    }
  }
  return best;
}

/** HSV saturation (0..255) of each pixel of interleaved 8-bit RGB. */
export function saturation(rgb: Uint8Array, channels = 3): Uint8Array {
  const out = new Uint8Array(rgb.length / channels);
  for (let p = 0; p < out.length; p++) {
    const r = rgb[p * channels]!;
    const g = rgb[p * channels + 1]!;
    const b = rgb[p * channels + 2]!;
    const max = Math.max(r, g, b);
    out[p] = max === 0 ? 0 : Math.round((255 * (max - Math.min(r, g, b))) / max);
  }
  return out;
}

export function histogram256(values: Uint8Array): Float64Array {
  const h = new Float64Array(256);
  for (const v of values) h[v]!++;
  return h;
}
