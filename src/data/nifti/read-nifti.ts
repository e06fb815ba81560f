/**
 * NIfTI-1 and NIfTI-2 volumes (.nii, .nii.gz). nifti-reader-js parses the
 * header (either version, either byte order); the voxel data is converted
 * here, with scl_slope/scl_inter applied as the standard says (slope 0 means
 * "no scaling"). Label maps can be requested as exact integers.
 */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import * as nifti from 'nifti-reader-js';
import { FileFormatError } from '../../common/errors.js';

export interface NiftiVolume {
  source: string;
  version: 1 | 2;
  /** Sizes along i, j, k, t, ... (dim[1..dim[0]]), at least 3 entries (missing ones are 1). */
  dims: number[];
  /** Voxel sizes (pixdim[1..]) in the file's spatial unit, usually mm. */
  spacing: number[];
  datatype: string;
  /** Scaled values, i fastest then j, k, t (the file's order). */
  data: Float32Array;
  scaling: { slope: number; intercept: number } | undefined;
  /** Values are exact non-negative integers (a label map). */
  isLabel: boolean;
  /** 4x4 voxel-to-world matrix (sform if set, else qform), row-major. */
  affine: number[][];
  description: string;
}

export interface NiftiReadOptions {
  /** Treat as a label map: values rounded to integers, which must be >= 0 (default: guessed from intent_code LABEL). */
  label?: boolean;
  /** Apply scl_slope/scl_inter (default true; false gives the stored values). */
  applyScaling?: boolean;
  /** Zip-bomb guard for .nii.gz (default 2 GiB). */
  maxBytes?: number;
}

const DATATYPES: Record<number, { name: string; bytes: number; read?: (v: DataView, o: number, le: boolean) => number }> = {
  2: { name: 'uint8', bytes: 1, read: (v, o) => v.getUint8(o) },
  4: { name: 'int16', bytes: 2, read: (v, o, le) => v.getInt16(o, le) },
  8: { name: 'int32', bytes: 4, read: (v, o, le) => v.getInt32(o, le) },
  16: { name: 'float32', bytes: 4, read: (v, o, le) => v.getFloat32(o, le) },
  64: { name: 'float64', bytes: 8, read: (v, o, le) => v.getFloat64(o, le) },
  128: { name: 'rgb24', bytes: 3 },
  256: { name: 'int8', bytes: 1, read: (v, o) => v.getInt8(o) },
  512: { name: 'uint16', bytes: 2, read: (v, o, le) => v.getUint16(o, le) },
  768: { name: 'uint32', bytes: 4, read: (v, o, le) => v.getUint32(o, le) },
  1024: { name: 'int64', bytes: 8, read: (v, o, le) => Number(v.getBigInt64(o, le)) },
  1280: { name: 'uint64', bytes: 8, read: (v, o, le) => Number(v.getBigUint64(o, le)) },
};
const UNSUPPORTED_TYPES: Record<number, string> = { 1: 'binary (1-bit)', 32: 'complex64', 1536: 'float128', 1792: 'complex128', 2048: 'complex256', 2304: 'rgba32' };
const NIFTI_INTENT_LABEL = 1002;
const MAX_VOXELS = 1 << 29;

function toArrayBuffer(b: Uint8Array): ArrayBuffer {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer ? b.buffer : b.slice().buffer;
}

export async function readNiftiFile(path: string, opts: NiftiReadOptions = {}): Promise<NiftiVolume> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new FileFormatError(path, `cannot read file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return decodeNifti(bytes, path, opts);
}

export function decodeNifti(input: Uint8Array, name: string, opts: NiftiReadOptions = {}): NiftiVolume {
  let bytes = input;
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes, { maxOutputLength: opts.maxBytes ?? 2 ** 31 - 1 });
    } catch (err) {
      throw new FileFormatError(name, `gzip data cannot be decompressed: ${(err as Error).message}`);
    }
  }
  const buf = toArrayBuffer(bytes);
  if (bytes.length < 348) throw new FileFormatError(name, `not a NIfTI file (${bytes.length} bytes, a header alone is 348)`);
  const isPairHeader = nifti.isNIFTI(buf, true) && !nifti.isNIFTI(buf);
  if (isPairHeader) throw new FileFormatError(name, 'unsupported NIfTI header/image pair (.hdr/.img, magic ni1/ni2); convert it to a single .nii file');
  if (!nifti.isNIFTI(buf)) throw new FileFormatError(name, 'not a NIfTI-1 or NIfTI-2 file (no n+1/n+2 magic)');
  let header: nifti.NIFTI1 | nifti.NIFTI2;
  try {
    header = nifti.readHeader(buf);
  } catch (err) {
    throw new FileFormatError(name, `NIfTI header cannot be read: ${(err as Error).message}`);
  }
  const version = header instanceof nifti.NIFTI2 ? 2 : 1;
  const nd = header.dims[0]!;
  if (!Number.isInteger(nd) || nd < 1 || nd > 7) throw new FileFormatError(name, `dim[0] is ${nd}, expected 1..7`);
  const dims: number[] = [];
  for (let i = 1; i <= Math.max(3, nd); i++) {
    const d = i <= nd ? header.dims[i]! : 1;
    if (!Number.isInteger(d) || d < 1) throw new FileFormatError(name, `dim[${i}] is ${d}, expected a positive integer`);
    dims.push(d);
  }
  const voxels = dims.reduce((a, b) => a * b, 1);
  if (voxels > MAX_VOXELS) throw new FileFormatError(name, `volume of ${dims.join('x')} voxels is too large (limit ${MAX_VOXELS})`);
  const code = header.datatypeCode;
  if (UNSUPPORTED_TYPES[code]) throw new FileFormatError(name, `unsupported NIfTI datatype ${UNSUPPORTED_TYPES[code]} (${code})`);
  const type = DATATYPES[code];
  if (!type) throw new FileFormatError(name, `unknown NIfTI datatype code ${code}`);
  const offset = Math.floor(header.vox_offset);
  const need = voxels * type.bytes;
  if (!(offset >= 0) || offset + need > bytes.length) {
    throw new FileFormatError(name, `truncated: ${dims.join('x')} ${type.name} voxels need ${need} bytes at offset ${offset}, the file has ${Math.max(0, bytes.length - offset)}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, need);
  const data = new Float32Array(voxels);
  if (type.read) {
    const le = header.littleEndian;
    const read = type.read;
    for (let i = 0; i < voxels; i++) data[i] = read(view, i * type.bytes, le);
  } else {
    // RGB24: one R,G,B byte triplet per voxel, reduced to BT.601 luma
    for (let i = 0; i < voxels; i++) data[i] = 0.299 * view.getUint8(3 * i) + 0.587 * view.getUint8(3 * i + 1) + 0.114 * view.getUint8(3 * i + 2);
  }
  let scaling: NiftiVolume['scaling'];
  const slope = header.scl_slope;
  const inter = Number.isFinite(header.scl_inter) ? header.scl_inter : 0;
  if ((opts.applyScaling ?? true) && Number.isFinite(slope) && slope !== 0 && code !== 128 && (slope !== 1 || inter !== 0)) {
    for (let i = 0; i < voxels; i++) data[i] = data[i]! * slope + inter;
    scaling = { slope, intercept: inter };
  }
  const isLabel = opts.label ?? header.intent_code === NIFTI_INTENT_LABEL;
  if (isLabel) {
    for (let i = 0; i < voxels; i++) {
      const v = Math.round(data[i]!);
      if (!(v >= 0) || Math.abs(v - data[i]!) > 1e-3) throw new FileFormatError(name, `label map has a non-integer or negative value ${data[i]} at voxel ${i}`);
      data[i] = v;
    }
  }
  const spacing = dims.map((_, i) => Math.abs(header.pixDims[i + 1] ?? 1) || 1);
  return { source: name, version, dims, spacing, datatype: type.name, data, scaling, isLabel, affine: header.affine, description: header.description ?? '' };
}
