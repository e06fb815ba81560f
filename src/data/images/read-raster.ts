/** PNG, JPEG and TIFF (PackBits, LZW, deflate, uncompressed) through sharp (libvips): 8- or 16-bit, grey or colour, alpha dropped. */
import sharp from 'sharp';
import { FileFormatError } from '../../common/errors.js';
import type { MedicalImage } from './medical-image.js';

export async function decodeRaster(bytes: Uint8Array, name: string, format: 'png' | 'jpeg' | 'tiff'): Promise<MedicalImage> {
  try {
    const meta = await sharp(bytes).metadata();
    const sixteen = meta.depth === 'ushort';
    const grey = (meta.channels ?? 3) <= 2;
    const colourspace = grey ? (sixteen ? 'grey16' : 'b-w') : sixteen ? 'rgb16' : 'srgb';
    const pipeline = sharp(bytes, { failOn: 'error', limitInputPixels: 1 << 28 }).removeAlpha().toColourspace(colourspace);
    const { data: buf, info } = await (sixteen ? pipeline.raw({ depth: 'ushort' }) : pipeline.raw()).toBuffer({ resolveWithObject: true });
    const n = info.width * info.height * info.channels;
    const src = sixteen ? new Uint16Array(buf.buffer, buf.byteOffset, n) : buf;
    if (src.length < n) throw new Error(`decoder returned ${src.length} samples, expected ${n}`);
    const data = Float32Array.from(src.subarray(0, n));
    const bits = sixteen ? 16 : 8;
    return {
      data,
      rows: info.height,
      cols: info.width,
      frames: 1,
      channels: info.channels,
      meta: { source: name, format, bitsStored: bits, bitsAllocated: bits, photometric: info.channels === 1 ? 'MONOCHROME2' : 'RGB' },
    };
  } catch (err) {
    throw new FileFormatError(name, `${format.toUpperCase()} cannot be decoded: ${(err as Error).message}`);
  }
}
