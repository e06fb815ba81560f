/**
 * Predicted masks in the input's format: a NIfTI label map on the input's
 * grid with its header (so its qform, sform and affine are the input's,
 * unchanged), uint8 voxels and intent LABEL; or a greyscale PNG.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { FileFormatError, PrivmedError } from '../../common/errors.js';
import { writeFileAtomic } from '../../common/atomic.js';

const NIFTI_INTENT_LABEL = 1002;

/** NIfTI bytes of `labels` (file order, i fastest) with the header of the NIfTI file `like`. */
export function niftiMaskBytes(like: string, labels: ArrayLike<number>, gzip: boolean): Uint8Array {
  let src: Uint8Array = readFileSync(like);
  if (src[0] === 0x1f && src[1] === 0x8b) src = gunzipSync(src);
  const v = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const le = v.getInt32(0, true) === 348 || v.getInt32(0, true) === 540;
  const size = v.getInt32(0, le);
  if (size !== 348 && size !== 540) throw new FileFormatError(like, `not a NIfTI header (sizeof_hdr ${size})`);
  const headerBytes = size === 348 ? 352 : 544;
  const out = new Uint8Array(headerBytes + labels.length);
  out.set(src.subarray(0, size));
  const h = new DataView(out.buffer);
  if (size === 348) {
    h.setInt16(70, 2, le); // datatype uint8
    h.setInt16(72, 8, le); // bitpix
    h.setFloat32(108, 352, le); // vox_offset
    h.setFloat32(112, 1, le); // scl_slope
    h.setFloat32(116, 0, le); // scl_inter
    h.setInt16(68, NIFTI_INTENT_LABEL, le);
  } else {
    h.setInt16(12, 2, le);
    h.setInt16(14, 8, le);
    h.setBigInt64(168, 544n, le);
    h.setFloat64(176, 1, le);
    h.setFloat64(184, 0, le);
    h.setInt32(504, NIFTI_INTENT_LABEL, le);
  }
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!;
    if (!(c >= 0 && c < 256)) throw new PrivmedError(`mask value ${c} does not fit a uint8 label map`);
    out[headerBytes + i] = c;
  }
  return gzip ? gzipSync(out) : out;
}

export function writeNiftiMask(path: string, like: string, labels: ArrayLike<number>): void {
  writeFileAtomic(path, niftiMaskBytes(like, labels, /\.gz$/i.test(path)));
}

/** An 8-bit PNG of a label map, rows of `width`; `scale` maps class c to c * scale (255 for a binary mask). */
export async function writePngMask(path: string, labels: ArrayLike<number>, height: number, width: number, scale: number): Promise<void> {
  const px = Buffer.alloc(height * width);
  for (let i = 0; i < px.length; i++) px[i] = Math.min(255, labels[i]! * scale);
  writeFileAtomic(path, await sharp(px, { raw: { width, height, channels: 1 } }).toColourspace('b-w').png().toBuffer());
}
