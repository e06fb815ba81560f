/**
 * Builders for DICOM elements (for the writer, de-identification and test
 * fixtures): values are encoded in the byte order of the data set they are
 * meant for, text is padded to even length as PS3.5 6.2 requires.
 */
import { concatBytes } from '../../common/bytes.js';
import { DicomDataSet, type DicomElement } from './data-set.js';

const latin1Encode = (s: string) => Uint8Array.from(s, (ch) => {
  const c = ch.charCodeAt(0);
  return c < 256 ? c : 0x3f; // '?' for characters outside Latin-1
});

export function textElement(tag: number, vr: string, values: string | string[], utf8 = false): DicomElement {
  const s = Array.isArray(values) ? values.join('\\') : values;
  let value: Uint8Array = utf8 ? new TextEncoder().encode(s) : latin1Encode(s);
  if (value.length % 2 === 1) value = concatBytes([value, Uint8Array.of(vr === 'UI' ? 0 : 0x20)]);
  return { tag, vr, value, undefinedLength: false };
}

const SIZES: Record<string, number> = { US: 2, SS: 2, UL: 4, SL: 4, FL: 4, FD: 8, AT: 4 };

export function numberElement(tag: number, vr: 'US' | 'SS' | 'UL' | 'SL' | 'FL' | 'FD', values: number | number[], littleEndian = true): DicomElement {
  const list = Array.isArray(values) ? values : [values];
  const size = SIZES[vr]!;
  const value = new Uint8Array(list.length * size);
  const v = new DataView(value.buffer);
  list.forEach((x, i) => {
    const o = i * size;
    if (vr === 'US') v.setUint16(o, x, littleEndian);
    else if (vr === 'SS') v.setInt16(o, x, littleEndian);
    else if (vr === 'UL') v.setUint32(o, x, littleEndian);
    else if (vr === 'SL') v.setInt32(o, x, littleEndian);
    else if (vr === 'FL') v.setFloat32(o, x, littleEndian);
    else v.setFloat64(o, x, littleEndian);
  });
  return { tag, vr, value, undefinedLength: false };
}

export function bytesElement(tag: number, vr: string, bytes: Uint8Array): DicomElement {
  return { tag, vr, value: bytes, undefinedLength: false };
}

export function sequenceElement(tag: number, items: DicomDataSet[]): DicomElement {
  return { tag, vr: 'SQ', value: new Uint8Array(0), undefinedLength: true, items };
}

/** Encapsulated pixel data: an (empty) Basic Offset Table, then one fragment per frame. */
export function encapsulatedPixelData(tag: number, frames: Uint8Array[], offsetTable = new Uint8Array(0)): DicomElement {
  return { tag, vr: 'OB', value: new Uint8Array(0), undefinedLength: true, fragments: [offsetTable, ...frames] };
}

/** A data set from a list of elements. */
export function dataSetOf(elements: DicomElement[], littleEndian = true, explicitVr = true): DicomDataSet {
  const ds = new DicomDataSet(littleEndian, explicitVr);
  for (const e of elements) ds.set(e);
  return ds;
}
