/**
 * Reads a JPEG stream's start-of-frame header without decoding, to choose a
 * decoder: the SOF marker says the process (baseline, extended, progressive,
 * lossless) and the precision says whether an 8-bit codec can handle it.
 */
export interface JpegFrameHeader {
  /** SOF marker byte: 0xC0 baseline, 0xC1 extended, 0xC2 progressive, 0xC3 lossless, ... */
  sof: number;
  precision: number;
  width: number;
  height: number;
  components: number;
}

export function readJpegFrameHeader(bytes: Uint8Array): JpegFrameHeader | undefined {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return undefined;
  let pos = 2;
  while (pos + 4 <= bytes.length) {
    if (bytes[pos] !== 0xff) {
      pos++;
      continue;
    }
    const marker = bytes[pos + 1]!;
    if (marker === 0xff) {
      pos++;
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      pos += 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return undefined;
    const len = (bytes[pos + 2]! << 8) | bytes[pos + 3]!;
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      if (pos + 10 > bytes.length) return undefined;
      return {
        sof: marker,
        precision: bytes[pos + 4]!,
        height: (bytes[pos + 5]! << 8) | bytes[pos + 6]!,
        width: (bytes[pos + 7]! << 8) | bytes[pos + 8]!,
        components: bytes[pos + 9]!,
      };
    }
    pos += 2 + len;
  }
  return undefined;
}
