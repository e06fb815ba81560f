/**
 * DICOM RLE Lossless (PS3.5 Annex G): a 64-byte header of segment offsets,
 * then one PackBits-coded segment per byte plane, most significant byte of
 * each sample first.
 */
import { FileFormatError } from '../../common/errors.js';
import type { PixelModule } from './pixel-module.js';
import { normaliseStored, type StoredFrame } from './stored-values.js';

/** Decodes one PackBits segment into exactly out.length bytes; returns how many were produced. */
export function unpackBits(src: Uint8Array, out: Uint8Array): number {
  let i = 0;
  let o = 0;
  while (i < src.length && o < out.length) {
    const n = src[i++]!;
    if (n < 128) {
      const count = Math.min(n + 1, src.length - i, out.length - o);
      out.set(src.subarray(i, i + count), o);
      i += n + 1;
      o += count;
    } else if (n > 128) {
      if (i >= src.length) break;
      const count = Math.min(257 - n, out.length - o);
      out.fill(src[i++]!, o, o + count);
      o += count;
    } // 128 (-128) is a no-op
  }
  return o;
}

export function decodeRleFrame(name: string, frame: Uint8Array, pm: PixelModule): StoredFrame {
  if (pm.bitsAllocated === 1 || pm.float) throw new FileFormatError(name, `RLE Lossless with ${pm.float ?? '1-bit'} pixels is not supported`);
  if (frame.length < 64) throw new FileFormatError(name, `RLE frame of ${frame.length} bytes is shorter than its 64-byte header`);
  const view = new DataView(frame.buffer, frame.byteOffset, 64);
  const segments = view.getUint32(0, true);
  const bytesPerSample = pm.bitsAllocated / 8;
  const expected = bytesPerSample * pm.samplesPerPixel;
  if (segments !== expected) throw new FileFormatError(name, `RLE header has ${segments} segments, ${pm.samplesPerPixel} sample(s) of ${pm.bitsAllocated} bits need ${expected}`);
  const offsets: number[] = [];
  for (let s = 0; s < segments; s++) offsets.push(view.getUint32(4 + 4 * s, true));
  offsets.push(frame.length);
  const pixels = pm.rows * pm.cols;
  const plane = new Uint8Array(pixels);
  const unsigned32 = pm.bitsAllocated === 32 && !pm.signed && pm.bitsStored === 32;
  const acc = new Float64Array(pixels * pm.samplesPerPixel);
  for (let s = 0; s < segments; s++) {
    const from = offsets[s]!;
    const to = offsets[s + 1]!;
    if (from < 64 || from > to || to > frame.length) throw new FileFormatError(name, `RLE segment ${s} has invalid offsets ${from}..${to} in a ${frame.length}-byte frame`);
    plane.fill(0);
    const got = unpackBits(frame.subarray(from, to), plane);
    if (got < pixels) throw new FileFormatError(name, `RLE segment ${s} decodes to ${got} bytes, ${pixels} expected`);
    const sample = Math.floor(s / bytesPerSample);
    const weight = 2 ** (8 * (bytesPerSample - 1 - (s % bytesPerSample)));
    for (let p = 0; p < pixels; p++) acc[p * pm.samplesPerPixel + sample]! += plane[p]! * weight;
  }
  if (unsigned32) return acc;
  const ints = new Int32Array(acc.length);
  for (let i = 0; i < acc.length; i++) ints[i] = acc[i]! | 0;
  return normaliseStored(ints, pm.bitsStored, pm.signed);
}
