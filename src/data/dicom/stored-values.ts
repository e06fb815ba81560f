/**
 * Stored pixel values as decoders hand them over: integers (masked to
 * BitsStored and sign-extended when PixelRepresentation is 1) or floats.
 * Interleaved samples, rows*cols*samples values per frame.
 */
export type StoredFrame = Int32Array | Float32Array | Float64Array;

/**
 * Keeps the low `bitsStored` bits and sign-extends them when signed. Codecs
 * (JPEG-LS, JPEG lossless) return unsigned samples even for signed images, and
 * native data may carry overlay bits above the high bit.
 */
export function normaliseStored(values: Int32Array, bitsStored: number, signed: boolean): Int32Array {
  if (bitsStored >= 32) return values;
  const shift = 32 - bitsStored;
  if (signed) {
    for (let i = 0; i < values.length; i++) values[i] = (values[i]! << shift) >> shift;
  } else {
    const mask = bitsStored === 31 ? 0x7fffffff : (1 << bitsStored) - 1;
    for (let i = 0; i < values.length; i++) values[i] = values[i]! & mask;
  }
  return values;
}

/** RRR...GGG...BBB... to RGBRGB... */
export function planarToInterleaved<T extends Int32Array | Float32Array | Float64Array>(planar: T, pixels: number, samples: number): T {
  const out = new (planar.constructor as { new (n: number): T })(pixels * samples);
  for (let s = 0; s < samples; s++) {
    const base = s * pixels;
    for (let p = 0; p < pixels; p++) out[p * samples + s] = planar[base + p]!;
  }
  return out;
}
