/**
 * DICOM Part 10 parser (PS3.5 section 7, PS3.10 section 7): preamble, file
 * meta group (always Explicit VR Little Endian), then the data set in the
 * transfer syntax the meta group names. Every read is bounds-checked, nesting
 * is limited, and any inconsistency becomes a FileFormatError naming the file
 * and byte offset, so that corrupt files fail fast instead of hanging.
 */
import { inflateRawSync, inflateSync } from 'node:zlib';
import { FileFormatError } from '../../common/errors.js';
import { DicomDataSet, type DicomElement } from './data-set.js';
import { dictionaryVr } from './dictionary.js';
import { Tags, formatTag } from './tags.js';
import {
  EXPLICIT_VR_LITTLE_ENDIAN,
  IMPLICIT_VR_LITTLE_ENDIAN,
  findTransferSyntax,
  transferSyntaxName,
  type TransferSyntax,
} from './transfer-syntax.js';

export interface DicomFile {
  name: string;
  meta: DicomDataSet;
  dataset: DicomDataSet;
  transferSyntaxUid: string;
  /** How the data set was actually decoded (unknown UIDs are read as Explicit VR Little Endian). */
  encoding: TransferSyntax;
  /** The syntax the UID names, undefined if this reader does not know it. */
  transferSyntax: TransferSyntax | undefined;
  /** Deviations that were tolerated (missing preamble, VR mode mismatch...). */
  warnings: string[];
}

export interface ParseOptions {
  /** Stop before Pixel Data (faster for inspect and series sorting). */
  stopAtPixelData?: boolean;
  /** Upper bound on inflated size for Deflated transfer syntax (zip-bomb guard). */
  maxInflatedBytes?: number;
}

const LONG_LENGTH_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const UNDEFINED = 0xffffffff;
const MAX_DEPTH = 32;

class Cursor {
  readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    public pos: number,
    readonly name: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  fail(reason: string, at = this.pos): never {
    throw new FileFormatError(this.name, `${reason} (at byte ${at})`);
  }
  need(n: number, end: number, what: string): void {
    if (this.pos + n > end) this.fail(`truncated: ${what} needs ${n} bytes, ${Math.max(0, end - this.pos)} left`);
  }
  u16(le: boolean): number {
    const v = this.view.getUint16(this.pos, le);
    this.pos += 2;
    return v;
  }
  u32(le: boolean): number {
    const v = this.view.getUint32(this.pos, le);
    this.pos += 4;
    return v;
  }
}

function isVrByte(b: number): boolean {
  return b >= 0x41 && b <= 0x5a;
}

/** Whether the element at `pos` has a two-letter VR after its tag (explicit encoding). */
function looksExplicit(bytes: Uint8Array, pos: number): boolean {
  return pos + 6 <= bytes.length && isVrByte(bytes[pos + 4]!) && isVrByte(bytes[pos + 5]!);
}

interface Mode {
  explicit: boolean;
  le: boolean;
}

class Parser {
  constructor(
    private readonly c: Cursor,
    private readonly stopAtPixelData: boolean,
    private readonly warnings: string[],
  ) {}

  /** Elements from pos until `end`, an item delimiter (if `delimited`), or a group change (meta). */
  dataSet(end: number, mode: Mode, depth: number, delimited: boolean, parent?: DicomDataSet, onlyGroup?: number): DicomDataSet {
    if (depth > MAX_DEPTH) this.c.fail(`sequences nested deeper than ${MAX_DEPTH} levels`);
    const ds = new DicomDataSet(mode.le, mode.explicit, parent);
    const c = this.c;
    while (c.pos < end) {
      c.need(8, end, 'element header');
      const group = c.view.getUint16(c.pos, mode.le);
      if (onlyGroup !== undefined && group !== onlyGroup) break;
      const element = c.view.getUint16(c.pos + 2, mode.le);
      const t = ((group << 16) | element) >>> 0;
      if (t === Tags.ItemDelimitationItem) {
        c.pos += 8;
        if (delimited) return ds;
        continue; // stray delimiter at the top level: tolerated, as dcmtk does
      }
      if (t === Tags.SequenceDelimitationItem && !delimited) {
        c.pos += 8;
        continue;
      }
      if (group === 0xfffe) c.fail(`unexpected item tag ${formatTag(t)} outside a sequence`);
      if (t >= Tags.PixelData && this.stopAtPixelData && depth === 0) {
        c.pos = end;
        return ds;
      }
      ds.set(this.element(t, end, mode, depth, ds));
    }
    // An undefined-length item may run to the end of its container without a delimiter: tolerated.
    return ds;
  }

  private element(t: number, end: number, mode: Mode, depth: number, owner: DicomDataSet): DicomElement {
    const c = this.c;
    const at = c.pos;
    c.pos += 4;
    let vr: string;
    let length: number;
    if (mode.explicit) {
      const b0 = c.bytes[c.pos]!;
      const b1 = c.bytes[c.pos + 1]!;
      if (!isVrByte(b0) || !isVrByte(b1)) c.fail(`invalid VR bytes 0x${b0.toString(16)} 0x${b1.toString(16)} for tag ${formatTag(t)}`, at);
      vr = String.fromCharCode(b0, b1);
      c.pos += 2;
      if (LONG_LENGTH_VRS.has(vr)) {
        c.need(6, end, `length of ${formatTag(t)}`);
        c.pos += 2;
        length = c.u32(mode.le);
      } else {
        length = c.u16(mode.le);
      }
    } else {
      vr = dictionaryVr(t);
      length = c.u32(mode.le);
    }
    if (length === UNDEFINED) {
      if (t === Tags.PixelData) return { tag: t, vr, value: new Uint8Array(0), undefinedLength: true, fragments: this.fragments(end, mode) };
      if (vr === 'SQ' || vr === 'UN' || !mode.explicit) {
        // PS3.5 6.2.2: an undefined-length UN is a sequence encoded as Implicit VR Little Endian
        const itemMode = vr === 'UN' && mode.explicit ? { explicit: false, le: true } : mode;
        return { tag: t, vr: vr === 'UN' ? 'SQ' : vr, value: new Uint8Array(0), undefinedLength: true, items: this.items(end, itemMode, depth, true, owner) };
      }
      c.fail(`undefined length is not allowed for VR ${vr} of tag ${formatTag(t)}`, at);
    }
    if (length > end - c.pos) c.fail(`value of ${formatTag(t)} claims ${length} bytes but only ${end - c.pos} remain`, at);
    const valueEnd = c.pos + length;
    const isSequence =
      vr === 'SQ' ||
      (!mode.explicit && vr === 'UN' && length >= 8 && this.startsWithItem(c.pos, mode.le) && t !== Tags.PixelData);
    if (isSequence) {
      const items = this.items(valueEnd, mode, depth, false, owner);
      c.pos = Math.max(c.pos, valueEnd); // an overlong last item may have run past the sequence
      return { tag: t, vr: 'SQ', value: new Uint8Array(0), undefinedLength: false, items };
    }
    const value = c.bytes.subarray(c.pos, valueEnd);
    c.pos = valueEnd;
    return { tag: t, vr, value, undefinedLength: false };
  }

  private startsWithItem(pos: number, le: boolean): boolean {
    const v = this.c.view;
    return v.getUint16(pos, le) === 0xfffe && v.getUint16(pos + 2, le) === 0xe000;
  }

  private itemHeader(end: number, mode: Mode): { tag: number; length: number } {
    const c = this.c;
    c.need(8, end, 'item header');
    const g = c.u16(mode.le);
    const e = c.u16(mode.le);
    return { tag: ((g << 16) | e) >>> 0, length: c.u32(mode.le) };
  }

  private items(end: number, mode: Mode, depth: number, delimited: boolean, owner: DicomDataSet): DicomDataSet[] {
    const c = this.c;
    const out: DicomDataSet[] = [];
    while (c.pos < end) {
      const at = c.pos;
      const h = this.itemHeader(end, mode);
      if (h.tag === Tags.SequenceDelimitationItem) {
        if (delimited) return out;
        continue;
      }
      if (h.tag !== Tags.Item) c.fail(`expected a sequence item, found ${formatTag(h.tag)}`, at);
      if (h.length === UNDEFINED) {
        out.push(this.dataSet(end, mode, depth + 1, true, owner));
      } else {
        if (h.length > end - c.pos) {
          // dcmtk reads such items too (lengths not updated after an edit): keep the elements that are complete
          this.warnings.push(`item at byte ${at} claims ${h.length} bytes, ${end - c.pos} remain in its sequence`);
        }
        const itemEnd = Math.min(c.pos + h.length, c.bytes.length);
        out.push(this.dataSet(itemEnd, mode, depth + 1, false, owner));
        c.pos = itemEnd;
      }
    }
    if (delimited) c.fail('sequence has no delimiter before the end of its container');
    return out;
  }

  /** Encapsulated pixel data (PS3.5 A.4): items up to the sequence delimiter. */
  private fragments(end: number, mode: Mode): Uint8Array[] {
    const c = this.c;
    const out: Uint8Array[] = [];
    while (true) {
      const at = c.pos;
      const h = this.itemHeader(end, mode);
      if (h.tag === Tags.SequenceDelimitationItem) return out;
      if (h.tag !== Tags.Item) c.fail(`expected a pixel data fragment, found ${formatTag(h.tag)}`, at);
      if (h.length === UNDEFINED) c.fail('pixel data fragment with undefined length', at);
      if (h.length > end - c.pos) c.fail(`pixel data fragment claims ${h.length} bytes but only ${end - c.pos} remain`, at);
      out.push(c.bytes.subarray(c.pos, c.pos + h.length));
      c.pos += h.length;
    }
  }
}

function inflate(name: string, bytes: Uint8Array, maxOutputLength: number): Uint8Array {
  try {
    return inflateRawSync(bytes, { maxOutputLength });
  } catch (raw) {
    try {
      return inflateSync(bytes, { maxOutputLength }); // some writers add a zlib header
    } catch {
      throw new FileFormatError(name, `deflated data set cannot be inflated: ${(raw as Error).message}`);
    }
  }
}

export function parseDicom(bytes: Uint8Array, name: string, opts: ParseOptions = {}): DicomFile {
  const warnings: string[] = [];
  let start: number;
  if (bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d) {
    start = 132;
  } else if (bytes.length >= 4 && bytes[0] === 0x44 && bytes[1] === 0x49 && bytes[2] === 0x43 && bytes[3] === 0x4d) {
    start = 4;
    warnings.push('no 128-byte preamble');
  } else if (bytes.length >= 8 && (bytes[0] === 0x02 || bytes[0] === 0x08) && bytes[1] === 0x00) {
    start = 0;
    warnings.push('no preamble and no DICM prefix (raw data set)');
  } else {
    throw new FileFormatError(name, bytes.length < 132 ? `not a DICOM file (only ${bytes.length} bytes)` : 'not a DICOM file (no DICM prefix at byte 128)');
  }

  const cursor = new Cursor(bytes, start, name);
  const parser = new Parser(cursor, opts.stopAtPixelData ?? false, warnings);
  const metaExplicit = looksExplicit(bytes, start);
  if (!metaExplicit) warnings.push('file meta group is not Explicit VR');
  const meta = parser.dataSet(bytes.length, { explicit: metaExplicit, le: true }, 0, false, undefined, 0x0002);

  let uid = meta.string(Tags.TransferSyntaxUID);
  if (uid === undefined) {
    uid = looksExplicit(bytes, cursor.pos) ? EXPLICIT_VR_LITTLE_ENDIAN.uid : IMPLICIT_VR_LITTLE_ENDIAN.uid;
    warnings.push(`no TransferSyntaxUID in the file meta group; guessed ${transferSyntaxName(uid)}`);
  }
  const known = findTransferSyntax(uid);
  // PS3.5 10.1: every syntax this reader does not know is still Explicit VR Little Endian
  const encoding = known ?? EXPLICIT_VR_LITTLE_ENDIAN;

  let body = bytes;
  let bodyStart = cursor.pos;
  if (encoding.deflated) {
    body = inflate(name, bytes.subarray(cursor.pos), opts.maxInflatedBytes ?? 1 << 30);
    bodyStart = 0;
  }
  let explicit = encoding.explicitVr;
  if (body.length - bodyStart >= 6 && encoding.littleEndian && looksExplicit(body, bodyStart) !== explicit) {
    explicit = !explicit;
    warnings.push(`data set is encoded ${explicit ? 'explicit' : 'implicit'} VR although the transfer syntax says otherwise`);
  }
  const bodyCursor = new Cursor(body, bodyStart, name);
  const dataset = new Parser(bodyCursor, opts.stopAtPixelData ?? false, warnings).dataSet(body.length, { explicit, le: encoding.littleEndian }, 0, false);
  return { name, meta, dataset, transferSyntaxUid: uid, encoding, transferSyntax: known, warnings };
}
