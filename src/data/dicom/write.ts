/**
 * DICOM Part 10 writer: preamble, file meta group (group length recomputed),
 * then the data set in Implicit VR LE, Explicit VR LE/BE or Deflated
 * Explicit VR LE. Sequences and items are written with undefined length
 * (no lengths to recompute after edits); retired group lengths are dropped.
 * Values keep their bytes, swapped when the byte order changes.
 */
import { deflateRawSync } from 'node:zlib';
import { PrivmedError } from '../../common/errors.js';
import type { DicomDataSet, DicomElement } from './data-set.js';
import { dictionaryVr } from './dictionary.js';
import { Tags } from './tags.js';
import { EXPLICIT_VR_LITTLE_ENDIAN, findTransferSyntax, type TransferSyntax } from './transfer-syntax.js';
import { textElement } from './elements.js';

const LONG_LENGTH_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const SWAP_SIZE: Record<string, number> = { US: 2, SS: 2, OW: 2, AT: 2, UL: 4, SL: 4, FL: 4, OL: 4, OF: 4, FD: 8, OD: 8, SV: 8, UV: 8, OV: 8 };
const UNDEFINED = 0xffffffff;

class ByteWriter {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  length = 0;
  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u16(v: number, le: boolean): void {
    this.ensure(2);
    this.view.setUint16(this.length, v, le);
    this.length += 2;
  }
  u32(v: number, le: boolean): void {
    this.ensure(4);
    this.view.setUint32(this.length, v, le);
    this.length += 4;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

interface Encoding {
  explicit: boolean;
  le: boolean;
}

function swapped(value: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(value.length);
  for (let i = 0; i + size <= value.length; i += size) for (let k = 0; k < size; k++) out[i + k] = value[i + size - 1 - k]!;
  return out;
}

function writeTag(w: ByteWriter, t: number, le: boolean): void {
  w.u16(t >>> 16, le);
  w.u16(t & 0xffff, le);
}

function writeElement(w: ByteWriter, el: DicomElement, enc: Encoding, sourceLe: boolean): void {
  const vr = el.vr === 'UN' && !el.items ? dictionaryVr(el.tag) : el.vr;
  writeTag(w, el.tag, enc.le);
  const writeHeader = (length: number) => {
    if (enc.explicit) {
      w.bytes(Uint8Array.of(vr.charCodeAt(0), vr.charCodeAt(1)));
      if (LONG_LENGTH_VRS.has(vr)) {
        w.u16(0, enc.le);
        w.u32(length, enc.le);
      } else {
        if (length > 0xffff) throw new PrivmedError(`cannot write ${vr} value of ${length} bytes in an explicit VR short-length element`);
        w.u16(length, enc.le);
      }
    } else w.u32(length, enc.le);
  };
  if (el.items) {
    writeHeader(UNDEFINED);
    for (const item of el.items) {
      writeTag(w, Tags.Item, enc.le);
      w.u32(UNDEFINED, enc.le);
      writeDataSet(w, item, enc);
      writeTag(w, Tags.ItemDelimitationItem, enc.le);
      w.u32(0, enc.le);
    }
    writeTag(w, Tags.SequenceDelimitationItem, enc.le);
    w.u32(0, enc.le);
    return;
  }
  if (el.fragments) {
    writeHeader(UNDEFINED);
    for (const f of el.fragments) {
      writeTag(w, Tags.Item, enc.le);
      const padded = f.length % 2 ? Uint8Array.from([...f, 0]) : f;
      w.u32(padded.length, enc.le);
      w.bytes(padded);
    }
    writeTag(w, Tags.SequenceDelimitationItem, enc.le);
    w.u32(0, enc.le);
    return;
  }
  let value = el.value;
  const size = SWAP_SIZE[vr];
  if (size && sourceLe !== enc.le) value = swapped(value, size);
  if (value.length % 2 === 1) value = Uint8Array.from([...value, vr === 'UI' || vr === 'OB' || vr === 'UN' ? 0 : 0x20]);
  writeHeader(value.length);
  w.bytes(value);
}

function writeDataSet(w: ByteWriter, ds: DicomDataSet, enc: Encoding): void {
  const tags = [...ds.elements.keys()].sort((a, b) => a - b);
  for (const t of tags) {
    if ((t & 0xffff) === 0) continue; // group lengths would be stale after edits
    writeElement(w, ds.elements.get(t)!, enc, ds.littleEndian);
  }
}

export interface WriteOptions {
  /** Target transfer syntax UID (default: the meta group's, else Explicit VR Little Endian). */
  transferSyntaxUid?: string;
}

/** Encodes a meta group and data set as a Part 10 file. */
export function writeDicom(meta: DicomDataSet, dataset: DicomDataSet, opts: WriteOptions = {}): Uint8Array {
  const uid = opts.transferSyntaxUid ?? meta.string(Tags.TransferSyntaxUID) ?? EXPLICIT_VR_LITTLE_ENDIAN.uid;
  // PS3.5 10.1: syntaxes we do not know are Explicit VR Little Endian with encapsulated pixel data
  const known = findTransferSyntax(uid);
  const ts: TransferSyntax = known ?? { ...EXPLICIT_VR_LITTLE_ENDIAN, uid, encapsulated: true };
  if (!ts.encapsulated && dataset.get(Tags.PixelData)?.fragments) throw new PrivmedError(`cannot write encapsulated pixel data with ${ts.name}`);
  meta.set(textElement(Tags.TransferSyntaxUID, 'UI', uid));
  if (!meta.has(tagFileMetaVersion)) meta.set({ tag: tagFileMetaVersion, vr: 'OB', value: Uint8Array.of(0, 1), undefinedLength: false });

  const metaBody = new ByteWriter();
  writeDataSet(metaBody, meta, { explicit: true, le: true });
  const out = new ByteWriter();
  out.bytes(new Uint8Array(128));
  out.bytes(Uint8Array.of(0x44, 0x49, 0x43, 0x4d));
  writeTag(out, Tags.FileMetaInformationGroupLength, true);
  out.bytes(Uint8Array.of(0x55, 0x4c)); // 'UL'
  out.u16(4, true);
  out.u32(metaBody.length, true);
  out.bytes(metaBody.result());

  const body = new ByteWriter();
  writeDataSet(body, dataset, { explicit: ts.explicitVr, le: ts.littleEndian });
  out.bytes(ts.deflated ? deflateRawSync(body.result()) : body.result());
  return out.result();
}

const tagFileMetaVersion = (0x0002 << 16) | 0x0001;
