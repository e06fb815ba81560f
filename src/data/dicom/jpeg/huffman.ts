/**
 * Huffman tables and the entropy-coded bit stream of a JPEG scan (ITU T.81
 * Annex C and F.2.2). The reader removes 0xFF00 stuffing and never reads past
 * a marker: once one is reached it supplies zero bits, so corrupt data ends
 * in a bounded number of steps.
 */
export class HuffmanTable {
  /** For each code length 1..16: the largest code of that length, or -1. */
  private readonly maxCode = new Int32Array(18).fill(-1);
  private readonly valPtr = new Int32Array(17);
  private readonly minCode = new Int32Array(17);
  /** 9-bit lookahead: (length << 8) | symbol, or 0 when the code is longer. */
  readonly fast = new Uint16Array(512);

  constructor(
    counts: Uint8Array,
    readonly symbols: Uint8Array,
  ) {
    let code = 0;
    let k = 0;
    for (let len = 1; len <= 16; len++) {
      const n = counts[len - 1]!;
      this.valPtr[len] = k;
      this.minCode[len] = code;
      for (let i = 0; i < n; i++, k++, code++) {
        if (len <= 9) {
          const shift = 9 - len;
          const first = code << shift;
          for (let j = 0; j < 1 << shift; j++) this.fast[first + j] = (len << 8) | symbols[k]!;
        }
      }
      this.maxCode[len] = n ? code - 1 : -1;
      code <<= 1;
    }
  }

  /** Slow path for codes longer than 9 bits (F.2.2.3). */
  decodeSlow(reader: BitReader): number {
    let code = 0;
    for (let len = 1; len <= 16; len++) {
      code = (code << 1) | reader.bit();
      if (this.maxCode[len]! >= 0 && code <= this.maxCode[len]! && code >= this.minCode[len]!) {
        const idx = this.valPtr[len]! + code - this.minCode[len]!;
        if (idx < this.symbols.length) return this.symbols[idx]!;
        break;
      }
    }
    throw new JpegDataError('invalid Huffman code');
  }
}

export class JpegDataError extends Error {}

export class BitReader {
  private buf = 0;
  private count = 0;
  /** Set when a marker (or the end of data) was reached inside entropy-coded data. */
  markerHit = false;

  constructor(
    private readonly data: Uint8Array,
    public pos: number,
  ) {}

  private fillByte(): void {
    let b = 0;
    if (!this.markerHit && this.pos < this.data.length) {
      b = this.data[this.pos]!;
      if (b === 0xff) {
        const next = this.data[this.pos + 1];
        if (next === 0x00) this.pos += 2;
        else {
          this.markerHit = true; // leave the marker for the caller
          b = 0;
        }
      } else this.pos++;
    } else this.markerHit = true;
    this.buf = ((this.buf << 8) | b) & 0xffffff;
    this.count += 8;
  }

  bit(): number {
    if (this.count === 0) this.fillByte();
    this.count--;
    return (this.buf >>> this.count) & 1;
  }

  bits(n: number): number {
    let v = 0;
    while (n > 0) {
      if (this.count === 0) this.fillByte();
      const take = Math.min(n, this.count);
      this.count -= take;
      v = (v << take) | ((this.buf >>> this.count) & ((1 << take) - 1));
      n -= take;
    }
    return v;
  }

  decode(table: HuffmanTable): number {
    while (this.count < 9) this.fillByte();
    const peek = (this.buf >>> (this.count - 9)) & 0x1ff;
    const hit = table.fast[peek]!;
    if (hit) {
      this.count -= hit >>> 8;
      return hit & 0xff;
    }
    return table.decodeSlow(this);
  }

  /** Receive and sign-extend an s-bit value (F.2.2.1 EXTEND). */
  receiveExtend(s: number): number {
    if (s === 0) return 0;
    if (s > 16) throw new JpegDataError(`coefficient category ${s} out of range`);
    const v = this.bits(s);
    return v < 1 << (s - 1) ? v - (1 << s) + 1 : v;
  }

  /** Drop buffered bits and move past a restart marker (RST0-7) if one is next. */
  restart(): void {
    this.buf = 0;
    this.count = 0;
    this.markerHit = false;
    let p = this.pos;
    while (p + 1 < this.data.length && !(this.data[p] === 0xff && this.data[p + 1]! >= 0xd0 && this.data[p + 1]! <= 0xd7)) {
      if (this.data[p] === 0xff && this.data[p + 1] !== 0 && this.data[p + 1] !== 0xff) break; // another marker: no RST
      p++;
    }
    if (p + 1 < this.data.length && this.data[p] === 0xff && this.data[p + 1]! >= 0xd0 && this.data[p + 1]! <= 0xd7) p += 2;
    this.pos = p;
  }
}
