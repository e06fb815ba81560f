/**
 * A JPEG decoder for the sequential DCT processes with Huffman coding
 * (ITU T.81: baseline, process 1, and extended, processes 2 and 4), 8 and
 * 12 bits. DICOM's JPEG Extended transfer syntax needs 12-bit support, which
 * none of the installed codecs offer. Progressive and arithmetic-coded
 * streams are rejected by name. Output samples are not colour-converted.
 */
import { BitReader, HuffmanTable, JpegDataError } from './huffman.js';
import { idctIslow } from './idct.js';

export interface DctImage {
  width: number;
  height: number;
  components: number;
  precision: number;
  /** Interleaved samples, width*height*components. */
  data: Int32Array;
  /** Component identifiers from the frame header (1,2,3 or 'R','G','B'...). */
  componentIds: number[];
  /** Adobe APP14 transform flag, if present (0: none, 1: YCbCr, 2: YCCK). */
  adobeTransform: number | undefined;
}

/** Natural-order index of zig-zag position k (T.81 figure A.6). */
const ZIGZAG = Int32Array.from([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21,
  28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61,
  54, 47, 55, 62, 63,
]);

const SOF_NAMES: Record<number, string> = {
  0xc2: 'progressive DCT (process 10/12)',
  0xc3: 'lossless (process 14)',
  0xc5: 'differential sequential DCT (hierarchical)',
  0xc6: 'differential progressive DCT (hierarchical)',
  0xc7: 'differential lossless (hierarchical)',
  0xc9: 'extended sequential DCT with arithmetic coding',
  0xca: 'progressive DCT with arithmetic coding',
  0xcb: 'lossless with arithmetic coding',
  0xcd: 'differential sequential DCT with arithmetic coding',
  0xce: 'differential progressive DCT with arithmetic coding',
  0xcf: 'differential lossless with arithmetic coding',
};

interface Component {
  id: number;
  h: number;
  v: number;
  tq: number;
  blocksPerLine: number; // padded to whole MCUs
  blocksPerColumn: number;
  coef: Int32Array;
  quant: Int32Array | undefined; // natural order, fixed at the component's first scan
  pred: number;
}

export class JpegUnsupportedError extends Error {}

const MAX_SAMPLES = 1 << 28;

export function decodeJpegDct(bytes: Uint8Array): DctImage {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (p: number) => {
    if (p + 2 > bytes.length) throw new JpegDataError('truncated marker segment');
    return view.getUint16(p);
  };
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) throw new JpegDataError('no JPEG start-of-image marker');
  const quant: (Int32Array | undefined)[] = [];
  const dcTables: (HuffmanTable | undefined)[] = [];
  const acTables: (HuffmanTable | undefined)[] = [];
  let frame: { precision: number; width: number; height: number; comps: Component[]; hMax: number; vMax: number; mcusX: number; mcusY: number } | undefined;
  let restartInterval = 0;
  let adobeTransform: number | undefined;
  let pos = 2;
  let scans = 0;
  for (;;) {
    // find the next marker, skipping fill bytes and any garbage between segments
    while (pos < bytes.length && bytes[pos] !== 0xff) pos++;
    while (pos < bytes.length && bytes[pos] === 0xff) pos++;
    if (pos >= bytes.length) break;
    const marker = bytes[pos++]!;
    if (marker === 0xd9) break; // EOI
    if (marker >= 0xd0 && marker <= 0xd7) continue; // stray RST
    if (marker === 0x01 || marker === 0x00) continue;
    const len = u16(pos);
    if (len < 2 || pos + len > bytes.length) throw new JpegDataError(`marker 0xFF${marker.toString(16).toUpperCase()} segment runs past the end of the data`);
    const seg = pos + 2;
    const end = pos + len;
    switch (marker) {
      case 0xc0:
      case 0xc1: {
        if (frame) throw new JpegDataError('more than one frame header');
        const precision = bytes[seg]!;
        if (precision !== 8 && precision !== 12) throw new JpegUnsupportedError(`JPEG sample precision ${precision} (only 8 and 12 bits for DCT)`);
        const height = u16(seg + 1);
        const width = u16(seg + 3);
        const nf = bytes[seg + 5]!;
        if (height === 0) throw new JpegUnsupportedError('JPEG with height defined by DNL marker');
        if (width === 0 || nf === 0 || nf > 4 || seg + 6 + nf * 3 > end) throw new JpegDataError('invalid frame header');
        if (width * height * nf > MAX_SAMPLES) throw new JpegDataError(`frame of ${width}x${height}x${nf} is too large`);
        const comps: Component[] = [];
        for (let i = 0; i < nf; i++) {
          const o = seg + 6 + i * 3;
          const h = bytes[o + 1]! >> 4;
          const v = bytes[o + 1]! & 15;
          if (h < 1 || h > 4 || v < 1 || v > 4) throw new JpegDataError('invalid sampling factors');
          comps.push({ id: bytes[o]!, h, v, tq: bytes[o + 2]! & 3, blocksPerLine: 0, blocksPerColumn: 0, coef: new Int32Array(0), quant: undefined, pred: 0 });
        }
        const hMax = Math.max(...comps.map((c) => c.h));
        const vMax = Math.max(...comps.map((c) => c.v));
        const mcusX = Math.ceil(width / (8 * hMax));
        const mcusY = Math.ceil(height / (8 * vMax));
        for (const c of comps) {
          c.blocksPerLine = mcusX * c.h;
          c.blocksPerColumn = mcusY * c.v;
          c.coef = new Int32Array(c.blocksPerLine * c.blocksPerColumn * 64);
        }
        frame = { precision, width, height, comps, hMax, vMax, mcusX, mcusY };
        break;
      }
      case 0xc4: {
        let p = seg;
        while (p < end) {
          const tc = bytes[p]! >> 4;
          const th = bytes[p]! & 15;
          if (p + 17 > end) throw new JpegDataError('truncated Huffman table');
          const counts = bytes.subarray(p + 1, p + 17);
          const total = counts.reduce((a, b) => a + b, 0);
          if (p + 17 + total > end || th > 3 || tc > 1) throw new JpegDataError('invalid Huffman table');
          const table = new HuffmanTable(counts, bytes.slice(p + 17, p + 17 + total));
          (tc === 0 ? dcTables : acTables)[th] = table;
          p += 17 + total;
        }
        break;
      }
      case 0xdb: {
        let p = seg;
        while (p < end) {
          const pq = bytes[p]! >> 4;
          const tq = bytes[p]! & 15;
          const size = pq ? 128 : 64;
          if (tq > 3 || p + 1 + size > end) throw new JpegDataError('invalid quantisation table');
          const table = new Int32Array(64);
          for (let k = 0; k < 64; k++) table[ZIGZAG[k]!] = pq ? view.getUint16(p + 1 + 2 * k) : bytes[p + 1 + k]!;
          quant[tq] = table;
          p += 1 + size;
        }
        break;
      }
      case 0xdd:
        restartInterval = u16(seg);
        break;
      case 0xee:
        if (len >= 14 && String.fromCharCode(...bytes.subarray(seg, seg + 5)) === 'Adobe') adobeTransform = bytes[seg + 11];
        break;
      case 0xda: {
        if (!frame) throw new JpegDataError('scan before frame header');
        const ns = bytes[seg]!;
        if (ns < 1 || ns > 4 || seg + 1 + ns * 2 + 3 > end) throw new JpegDataError('invalid scan header');
        const scanComps: { c: Component; dc: HuffmanTable; ac: HuffmanTable }[] = [];
        for (let i = 0; i < ns; i++) {
          const id = bytes[seg + 1 + i * 2]!;
          const t = bytes[seg + 2 + i * 2]!;
          const c = frame.comps.find((x) => x.id === id);
          const dc = dcTables[t >> 4];
          const ac = acTables[t & 15];
          if (!c) throw new JpegDataError(`scan names unknown component ${id}`);
          if (!dc || !ac) throw new JpegDataError('scan uses an undefined Huffman table');
          c.quant ??= quant[c.tq];
          if (!c.quant) throw new JpegDataError(`component ${id} uses undefined quantisation table ${c.tq}`);
          scanComps.push({ c, dc, ac });
        }
        pos = decodeScan(bytes, end, frame, scanComps, restartInterval);
        scans++;
        continue;
      }
      default:
        if (SOF_NAMES[marker]) throw new JpegUnsupportedError(`JPEG ${SOF_NAMES[marker]}`);
      // APPn, COM and others: skip
    }
    pos = end;
  }
  if (!frame) throw new JpegDataError('no frame header');
  if (scans === 0) throw new JpegDataError('no scan');
  return toImage(frame, adobeTransform);
}

function decodeScan(
  bytes: Uint8Array,
  start: number,
  frame: { comps: Component[]; hMax: number; vMax: number; mcusX: number; mcusY: number; width: number; height: number },
  scan: { c: Component; dc: HuffmanTable; ac: HuffmanTable }[],
  restartInterval: number,
): number {
  const reader = new BitReader(bytes, start);
  for (const s of scan) s.c.pred = 0;
  const block = (s: { c: Component; dc: HuffmanTable; ac: HuffmanTable }, row: number, col: number) => {
    const c = s.c;
    const off = (row * c.blocksPerLine + col) * 64;
    const t = reader.decode(s.dc);
    c.pred += reader.receiveExtend(t);
    c.coef[off] = c.pred;
    for (let k = 1; k < 64; ) {
      const rs = reader.decode(s.ac);
      const size = rs & 15;
      const run = rs >> 4;
      if (size === 0) {
        if (run !== 15) break;
        k += 16;
        continue;
      }
      k += run;
      if (k > 63) throw new JpegDataError('AC coefficient index past 63');
      c.coef[off + ZIGZAG[k]!] = reader.receiveExtend(size);
      k++;
    }
  };
  let mcu = 0;
  const maybeRestart = () => {
    if (restartInterval && mcu > 0 && mcu % restartInterval === 0) {
      reader.restart();
      for (const s of scan) s.c.pred = 0;
    }
  };
  if (scan.length === 1) {
    // non-interleaved: the component's own block grid, not padded to whole MCUs
    const s = scan[0]!;
    const c = s.c;
    const w = Math.ceil(Math.ceil((frame.width * c.h) / frame.hMax) / 8);
    const h = Math.ceil(Math.ceil((frame.height * c.v) / frame.vMax) / 8);
    for (let r = 0; r < h; r++) {
      for (let col = 0; col < w; col++, mcu++) {
        maybeRestart();
        block(s, r, col);
      }
    }
  } else {
    for (let my = 0; my < frame.mcusY; my++) {
      for (let mx = 0; mx < frame.mcusX; mx++, mcu++) {
        maybeRestart();
        for (const s of scan) {
          for (let v = 0; v < s.c.v; v++) for (let h = 0; h < s.c.h; h++) block(s, my * s.c.v + v, mx * s.c.h + h);
        }
      }
    }
  }
  return reader.pos;
}

function toImage(
  frame: { precision: number; width: number; height: number; comps: Component[]; hMax: number; vMax: number },
  adobeTransform: number | undefined,
): DctImage {
  const { width, height, comps } = frame;
  const n = comps.length;
  const data = new Int32Array(width * height * n);
  comps.forEach((c, ci) => {
    const stride = c.blocksPerLine * 8;
    const plane = new Int32Array(stride * c.blocksPerColumn * 8);
    const q = c.quant ?? new Int32Array(64);
    for (let r = 0; r < c.blocksPerColumn; r++) {
      for (let b = 0; b < c.blocksPerLine; b++) {
        idctIslow(c.coef, (r * c.blocksPerLine + b) * 64, q, plane, r * 8 * stride + b * 8, stride, frame.precision);
      }
    }
    // box upsampling: pixel (x, y) takes the sample covering it
    for (let y = 0; y < height; y++) {
      const sy = Math.floor((y * c.v) / frame.vMax) * stride;
      for (let x = 0; x < width; x++) data[(y * width + x) * n + ci] = plane[sy + Math.floor((x * c.h) / frame.hMax)]!;
    }
  });
  return { width, height, components: n, precision: frame.precision, data, componentIds: comps.map((c) => c.id), adobeTransform };
}
