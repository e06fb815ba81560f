/**
 * Splits encapsulated pixel data (PS3.5 A.4) into one compressed byte stream
 * per frame: one fragment per frame, the Basic Offset Table, or, without
 * either, JPEG end-of-image markers.
 */
import { FileFormatError } from '../../common/errors.js';
import { concatBytes } from '../../common/bytes.js';


/** Whether a fragment ends a JPEG-family code stream (EOI, possibly followed by one pad byte). */
function endsWithEoi(f: Uint8Array): boolean {
  for (let back = 0; back <= 1 && f.length - back >= 2; back++) {
    if (f[f.length - back - 2] === 0xff && f[f.length - back - 1] === 0xd9) return true;
  }
  return false;
}

export function splitFrames(name: string, fragments: Uint8Array[], frames: number, jpegFamily: boolean): Uint8Array[] {
  if (fragments.length === 0) throw new FileFormatError(name, 'encapsulated Pixel Data has no Basic Offset Table item');
  const bot = fragments[0]!;
  const data = fragments.slice(1);
  if (data.length === 0) throw new FileFormatError(name, 'encapsulated Pixel Data has no fragments');
  if (frames === 1) return [concatBytes(data)];
  if (data.length === frames) return data;
  if (bot.length >= 4 * frames && bot.length % 4 === 0) return byOffsetTable(name, bot, data, frames);
  if (jpegFamily) {
    const out: Uint8Array[] = [];
    let current: Uint8Array[] = [];
    for (const f of data) {
      current.push(f);
      if (endsWithEoi(f)) {
        out.push(concatBytes(current));
        current = [];
      }
    }
    if (current.length) out.push(concatBytes(current));
    if (out.length === frames) return out;
  }
  throw new FileFormatError(name, `cannot map ${data.length} pixel data fragments to ${frames} frames (no Basic Offset Table)`);
}

function byOffsetTable(name: string, bot: Uint8Array, data: Uint8Array[], frames: number): Uint8Array[] {
  const view = new DataView(bot.buffer, bot.byteOffset, bot.byteLength);
  // Offsets count from the first fragment's item tag; each fragment has an 8-byte item header.
  const starts: number[] = [];
  let pos = 0;
  for (const f of data) {
    starts.push(pos);
    pos += 8 + f.length;
  }
  const out: Uint8Array[] = [];
  for (let k = 0; k < frames; k++) {
    const from = view.getUint32(4 * k, true);
    const to = k + 1 < frames ? view.getUint32(4 * (k + 1), true) : pos;
    const first = starts.indexOf(from);
    if (first < 0 || to < from) throw new FileFormatError(name, `Basic Offset Table entry ${k} (${from}) does not point at a fragment`);
    const parts: Uint8Array[] = [];
    for (let i = first; i < data.length && starts[i]! < to; i++) parts.push(data[i]!);
    out.push(concatBytes(parts));
  }
  return out;
}
