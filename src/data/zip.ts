/**
 * A small reader for ZIP archives (as written by numpy.savez): stored and
 * deflated members, ZIP64 sizes. Every inconsistency becomes a FileFormatError
 * naming the archive, so a truncated download says so instead of crashing.
 */
import { inflateRawSync } from 'node:zlib';
import { FileFormatError } from '../common/errors.js';

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
  crc32: number;
}

const EOCD_SIG = 0x06054b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;

export function listZip(buf: Uint8Array, file: string): ZipEntry[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const fail = (why: string): never => {
    throw new FileFormatError(file, `not a valid zip/npz archive: ${why}`);
  };
  if (buf.length < 22) fail(`only ${buf.length} bytes (truncated?)`);
  // The end-of-central-directory record is in the last 22 + 65535 bytes.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65535); i--) {
    if (view.getUint32(i, true) === EOCD_SIG) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) fail('end of central directory not found (file truncated or not a zip)');
  let count = view.getUint16(eocd + 10, true);
  let cdSize = view.getUint32(eocd + 12, true);
  let cdOffset = view.getUint32(eocd + 16, true);
  if (eocd >= 20 && view.getUint32(eocd - 20, true) === ZIP64_LOCATOR_SIG) {
    const z64 = Number(view.getBigUint64(eocd - 20 + 8, true));
    if (z64 + 56 > buf.length || view.getUint32(z64, true) !== ZIP64_EOCD_SIG) fail('bad ZIP64 end record');
    count = Number(view.getBigUint64(z64 + 32, true));
    cdSize = Number(view.getBigUint64(z64 + 40, true));
    cdOffset = Number(view.getBigUint64(z64 + 48, true));
  }
  if (cdOffset + cdSize > buf.length) fail('central directory lies beyond the end of the file (truncated?)');
  const entries: ZipEntry[] = [];
  let p = cdOffset;
  for (let k = 0; k < count; k++) {
    if (p + 46 > buf.length || view.getUint32(p, true) !== CENTRAL_SIG) fail(`central directory entry ${k} is corrupt`);
    const method = view.getUint16(p + 10, true);
    const crc32 = view.getUint32(p + 16, true);
    let compressedSize = view.getUint32(p + 20, true);
    let size = view.getUint32(p + 24, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    let localHeaderOffset = view.getUint32(p + 42, true);
    if (p + 46 + nameLen + extraLen > buf.length) fail(`central directory entry ${k} is truncated`);
    const name = new TextDecoder().decode(buf.subarray(p + 46, p + 46 + nameLen));
    // ZIP64 extra field: values that were 0xffffffff in the record follow in order.
    let e = p + 46 + nameLen;
    const eEnd = e + extraLen;
    while (e + 4 <= eEnd) {
      const id = view.getUint16(e, true);
      const len = view.getUint16(e + 2, true);
      if (id === 0x0001) {
        let q = e + 4;
        if (size === 0xffffffff) (size = Number(view.getBigUint64(q, true))), (q += 8);
        if (compressedSize === 0xffffffff) (compressedSize = Number(view.getBigUint64(q, true))), (q += 8);
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = Number(view.getBigUint64(q, true));
      }
      e += 4 + len;
    }
    entries.push({ name, method, compressedSize, size, localHeaderOffset, crc32 });
    p = eEnd + commentLen;
  }
  return entries;
}

export function readZipEntry(buf: Uint8Array, entry: ZipEntry, file: string): Uint8Array {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const at = `${file} member '${entry.name}'`;
  const o = entry.localHeaderOffset;
  if (o + 30 > buf.length || view.getUint32(o, true) !== LOCAL_SIG) throw new FileFormatError(at, 'local header is corrupt');
  const start = o + 30 + view.getUint16(o + 26, true) + view.getUint16(o + 28, true);
  const end = start + entry.compressedSize;
  if (end > buf.length) throw new FileFormatError(at, `data ends beyond the end of the file (truncated?)`);
  const raw = buf.subarray(start, end);
  let out: Uint8Array;
  if (entry.method === 0) out = raw;
  else if (entry.method === 8) {
    try {
      out = inflateRawSync(raw, { maxOutputLength: Math.max(entry.size, 1) });
    } catch (err) {
      throw new FileFormatError(at, `deflate stream is corrupt (${(err as Error).message})`);
    }
  } else throw new FileFormatError(at, `unsupported zip compression method ${entry.method} (only stored and deflate)`);
  if (out.length !== entry.size) throw new FileFormatError(at, `expected ${entry.size} bytes, got ${out.length}`);
  if (crc32(out) !== entry.crc32) throw new FileFormatError(at, 'CRC-32 mismatch (file corrupt)');
  return out;
}

let table: Uint32Array | undefined;
export function crc32(data: Uint8Array): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
