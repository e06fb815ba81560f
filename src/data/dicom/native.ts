/**
 * Uncompressed ("native") pixel data: 1-bit packed, 8/16/32-bit integers in
 * either byte order, float and double float pixel data, YBR_FULL_422
 * subsampling, planar configuration.
 */
import { FileFormatError } from '../../common/errors.js';
import type { PixelModule } from './pixel-module.js';
import { normaliseStored, planarToInterleaved, type StoredFrame } from './stored-values.js';

/** Bytes of one frame as stored (1-bit frames are not byte aligned: see decode). */
export function nativeFrameBytes(pm: PixelModule): number {
  const values = pm.photometric === 'YBR_FULL_422' ? pm.rows * Math.ceil(pm.cols / 2) * 4 : pm.rows * pm.cols * pm.samplesPerPixel;
  return pm.bitsAllocated === 1 ? Math.ceil(values / 8) : values * (pm.bitsAllocated / 8);
}

export function decodeNativeFrame(name: string, data: Uint8Array, pm: PixelModule, littleEndian: boolean, frame: number, vr = 'OW'): StoredFrame {
  const pixels = pm.rows * pm.cols;
  if (pm.bitsAllocated === 1) {
    const first = frame * pixels;
    const needBytes = Math.ceil((pm.frames * pixels) / 8);
    if (data.length < needBytes) throw new FileFormatError(name, `Pixel Data has ${data.length} bytes, ${pm.frames} frame(s) of 1-bit ${pm.rows}x${pm.cols} need ${needBytes}`);
    const out = new Int32Array(pixels);
    for (let i = 0; i < pixels; i++) {
      const bit = first + i;
      out[i] = (data[bit >>> 3]! >>> (bit & 7)) & 1;
    }
    return out;
  }
  const frameBytes = nativeFrameBytes(pm);
  const need = frameBytes * pm.frames;
  if (data.length < need) throw new FileFormatError(name, `Pixel Data has ${data.length} bytes, ${pm.frames} frame(s) of ${pm.rows}x${pm.cols}x${pm.samplesPerPixel} at ${pm.bitsAllocated} bits need ${need}`);
  let bytes = data.subarray(frame * frameBytes, (frame + 1) * frameBytes);
  if (!littleEndian && pm.bitsAllocated === 8 && vr === 'OW') bytes = swap16(bytes); // OW words were byte-swapped
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = frameBytes / (pm.bitsAllocated / 8);
  let out: StoredFrame;
  if (pm.float) {
    out = pm.float === 'float32' ? new Float32Array(n) : new Float64Array(n);
    const size = pm.float === 'float32' ? 4 : 8;
    for (let i = 0; i < n; i++) out[i] = size === 4 ? view.getFloat32(i * 4, littleEndian) : view.getFloat64(i * 8, littleEndian);
  } else if (pm.bitsAllocated === 32 && !pm.signed && pm.bitsStored === 32) {
    out = new Float64Array(n); // unsigned 32-bit does not fit Int32
    for (let i = 0; i < n; i++) out[i] = view.getUint32(i * 4, littleEndian);
  } else {
    const ints = new Int32Array(n);
    if (pm.bitsAllocated === 8) for (let i = 0; i < n; i++) ints[i] = bytes[i]!;
    else if (pm.bitsAllocated === 16) for (let i = 0; i < n; i++) ints[i] = view.getUint16(i * 2, littleEndian);
    else for (let i = 0; i < n; i++) ints[i] = view.getInt32(i * 4, littleEndian);
    out = normaliseStored(ints, pm.bitsStored, pm.signed);
  }
  if (pm.photometric === 'YBR_FULL_422') return expandYbr422(out, pm.rows, pm.cols);
  if (pm.samplesPerPixel > 1 && pm.planarConfiguration === 1) return planarToInterleaved(out, pixels, pm.samplesPerPixel);
  return out;
}

function swap16(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length);
  for (let i = 0; i + 1 < b.length; i += 2) {
    out[i] = b[i + 1]!;
    out[i + 1] = b[i]!;
  }
  return out;
}

/** PS3.3 C.7.6.3.1.2: Y1 Y2 Cb Cr for each horizontal pixel pair, to full Y Cb Cr per pixel. */
function expandYbr422(v: StoredFrame, rows: number, cols: number): StoredFrame {
  const out = new (v.constructor as { new (n: number): StoredFrame })(rows * cols * 3);
  const pairs = Math.ceil(cols / 2);
  for (let r = 0; r < rows; r++) {
    for (let p = 0; p < pairs; p++) {
      const src = (r * pairs + p) * 4;
      for (let k = 0; k < 2; k++) {
        const c = p * 2 + k;
        if (c >= cols) break;
        const dst = (r * cols + c) * 3;
        out[dst] = v[src + k]!;
        out[dst + 1] = v[src + 2]!;
        out[dst + 2] = v[src + 3]!;
      }
    }
  }
  return out;
}
