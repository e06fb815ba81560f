/**
 * NumPy .npy parser (format versions 1, 2 and 3). Supports the numeric dtypes
 * MedMNIST and typical medical arrays use; Fortran order is rejected clearly.
 */
import { FileFormatError } from '../common/errors.js';

export type NpyData = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array | BigInt64Array;

export interface NpyArray {
  dtype: string;
  shape: number[];
  data: NpyData;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const DTYPES: Record<string, { bytes: number; make: (b: ArrayBuffer, o: number, n: number) => NpyData }> = {
  u1: { bytes: 1, make: (b, o, n) => new Uint8Array(b, o, n) },
  i1: { bytes: 1, make: (b, o, n) => new Int8Array(b, o, n) },
  b1: { bytes: 1, make: (b, o, n) => new Uint8Array(b, o, n) },
  u2: { bytes: 2, make: (b, o, n) => new Uint16Array(b, o, n) },
  i2: { bytes: 2, make: (b, o, n) => new Int16Array(b, o, n) },
  u4: { bytes: 4, make: (b, o, n) => new Uint32Array(b, o, n) },
  i4: { bytes: 4, make: (b, o, n) => new Int32Array(b, o, n) },
  i8: { bytes: 8, make: (b, o, n) => new BigInt64Array(b, o, n) },
  f4: { bytes: 4, make: (b, o, n) => new Float32Array(b, o, n) },
  f8: { bytes: 8, make: (b, o, n) => new Float64Array(b, o, n) },
};

export function parseNpy(buf: Uint8Array, file: string): NpyArray {
  const fail = (why: string): never => {
    throw new FileFormatError(file, `not a valid .npy array: ${why}`);
  };
  if (buf.length < 10 || MAGIC.some((m, i) => buf[i] !== m)) fail('missing \\x93NUMPY magic');
  const major = buf[6]!;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) (headerLen = view.getUint16(8, true)), (headerStart = 10);
  else if (major === 2 || major === 3) {
    if (buf.length < 12) fail('truncated header');
    (headerLen = view.getUint32(8, true)), (headerStart = 12);
  } else return fail(`unsupported format version ${major}`);
  if (headerStart + headerLen > buf.length) fail('header runs past the end (truncated?)');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(buf.subarray(headerStart, headerStart + headerLen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) return fail(`unreadable header ${JSON.stringify(header.trim())}`);
  if (fortran === 'True') fail('Fortran-ordered arrays are not supported (save with C order)');
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const n = Number(s);
      if (!Number.isSafeInteger(n) || n < 0) fail(`bad dimension '${s}' in shape`);
      return n;
    });
  const endian = descr[0];
  const kind = descr.slice(1);
  const dt = DTYPES[kind];
  if (!dt) return fail(`unsupported dtype '${descr}'`);
  if (endian === '>' && dt.bytes > 1) fail(`big-endian dtype '${descr}' is not supported`);
  const count = shape.reduce((a, b) => a * b, 1);
  const offset = headerStart + headerLen;
  if (buf.length - offset < count * dt.bytes) fail(`expected ${count * dt.bytes} data bytes for shape (${shape.join(', ')}), found ${buf.length - offset} (truncated?)`);
  // Copy so the typed array is aligned and owns its memory (Buffer#slice would alias).
  const copy = Uint8Array.prototype.slice.call(buf, offset, offset + count * dt.bytes);
  return { dtype: descr, shape, data: dt.make(copy.buffer, 0, count) };
}
