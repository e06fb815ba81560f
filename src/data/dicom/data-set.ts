/**
 * A parsed DICOM data set: elements keyed by tag, values kept as views into
 * the file bytes (no copies), with typed accessors that respect byte order.
 */
import { Tags } from './tags.js';

export interface DicomElement {
  tag: number;
  /** Two-letter VR; 'UN' when the file is Implicit VR and the tag is not in the dictionary. */
  vr: string;
  /** The value bytes (empty for sequences and encapsulated pixel data). */
  value: Uint8Array;
  undefinedLength: boolean;
  /** Sequence items (VR SQ, or undefined-length UN). */
  items?: DicomDataSet[];
  /** Encapsulated pixel data: fragment 0 is the Basic Offset Table. */
  fragments?: Uint8Array[];
}

const BINARY_NUMBER_VRS: Record<string, { size: number; read: (v: DataView, o: number, le: boolean) => number }> = {
  US: { size: 2, read: (v, o, le) => v.getUint16(o, le) },
  SS: { size: 2, read: (v, o, le) => v.getInt16(o, le) },
  UL: { size: 4, read: (v, o, le) => v.getUint32(o, le) },
  SL: { size: 4, read: (v, o, le) => v.getInt32(o, le) },
  FL: { size: 4, read: (v, o, le) => v.getFloat32(o, le) },
  FD: { size: 8, read: (v, o, le) => v.getFloat64(o, le) },
  SV: { size: 8, read: (v, o, le) => Number(v.getBigInt64(o, le)) },
  UV: { size: 8, read: (v, o, le) => Number(v.getBigUint64(o, le)) },
  OV: { size: 8, read: (v, o, le) => Number(v.getBigUint64(o, le)) },
};

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8');

export class DicomDataSet {
  readonly elements = new Map<number, DicomElement>();

  constructor(
    readonly littleEndian: boolean,
    readonly explicitVr: boolean,
    /** Text decoding inherited by nested items (SpecificCharacterSet). */
    private readonly parent?: DicomDataSet,
  ) {}

  has(tag: number): boolean {
    return this.elements.has(tag);
  }

  get(tag: number): DicomElement | undefined {
    return this.elements.get(tag);
  }

  set(el: DicomElement): void {
    this.elements.set(el.tag, el);
  }

  /** All values of a text element, split on backslash, trailing spaces/NULs removed. */
  strings(tag: number): string[] {
    const el = this.elements.get(tag);
    if (!el || el.value.length === 0) return [];
    const text = this.decodeText(el.value);
    return text.split('\\').map((s) => s.replace(/[\s\0]+$/, '').replace(/^\s+/, ''));
  }

  /** First value of a text element, or undefined when absent or empty. */
  string(tag: number): string | undefined {
    const v = this.strings(tag)[0];
    return v === undefined || v === '' ? undefined : v;
  }

  /** Numbers from binary (US, SS, UL, FL, ...) or text (DS, IS) elements; NaN for unparsable text. */
  numbers(tag: number): number[] {
    const el = this.elements.get(tag);
    if (!el || el.value.length === 0) return [];
    const bin = BINARY_NUMBER_VRS[el.vr];
    if (bin) {
      const view = new DataView(el.value.buffer, el.value.byteOffset, el.value.byteLength);
      const n = Math.floor(el.value.length / bin.size);
      const out = new Array<number>(n);
      for (let i = 0; i < n; i++) out[i] = bin.read(view, i * bin.size, this.littleEndian);
      return out;
    }
    return this.strings(tag).map((s) => (s === '' ? NaN : Number(s)));
  }

  /** First number, or undefined when absent, empty or unparsable. */
  number(tag: number): number | undefined {
    const v = this.numbers(tag)[0];
    return v === undefined || !Number.isFinite(v) ? undefined : v;
  }

  items(tag: number): DicomDataSet[] {
    return this.elements.get(tag)?.items ?? [];
  }

  private decodeText(bytes: Uint8Array): string {
    return this.usesUtf8() ? utf8.decode(bytes) : latin1.decode(bytes);
  }

  private usesUtf8(): boolean {
    const cs = this.elements.get(Tags.SpecificCharacterSet);
    if (cs) return latin1.decode(cs.value).includes('ISO_IR 192');
    return this.parent?.usesUtf8() ?? false;
  }
}
