/**
 * Compressed transfer syntaxes on synthetic images: dcmtk-made JPEG streams
 * (lossless, 12-bit extended, baseline 4:2:2 and 4:4:4, progressive) against
 * dcmtk's decodes; JPEG-LS, JPEG 2000, HTJ2K and RLE round trips through
 * independent encoders (CharLS, OpenJPEG, OpenJPH, a PackBits encoder here).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import sharp from 'sharp';
import { parseDicom } from '../../src/data/dicom/parse.js';
import { decodeDicom, decodeStoredFrames } from '../../src/data/dicom/read-dicom.js';
import { decodeJpegDct, JpegUnsupportedError } from '../../src/data/dicom/jpeg/decode-dct.js';
import { decodeJpeg8 } from '../../src/data/dicom/codecs.js';
import { FileFormatError } from '../../src/common/errors.js';
import { CJPEG_FIXTURES, COLOUR_FIXTURES, JPEG_FIXTURES } from './jpeg-fixtures.js';
import { pattern, syntheticDicom } from './synthetic.js';
import { sha256Int32 } from './hash.js';

const require = createRequire(import.meta.url);

const SHAPES: Record<string, { rows: number; cols: number; spp: number; ba: number; bs: number; signed: boolean }> = {
  s12: { rows: 16, cols: 24, spp: 1, ba: 16, bs: 12, signed: false },
  srgb: { rows: 16, cols: 16, spp: 3, ba: 8, bs: 8, signed: false },
  ss16: { rows: 8, cols: 8, spp: 1, ba: 16, bs: 16, signed: true },
};

function fixtureFile(name: string, uid?: string): Uint8Array {
  const fx = JPEG_FIXTURES[name]!;
  const shape = SHAPES[name.split('_')[0]!]!;
  return syntheticDicom({
    rows: shape.rows, cols: shape.cols, samplesPerPixel: shape.spp, bitsAllocated: shape.ba, bitsStored: shape.bs, signed: shape.signed,
    photometric: fx.photometric, transferSyntaxUid: uid ?? fx.uid, fragments: [Buffer.from(fx.jpeg, 'hex')],
  });
}

test('JPEG lossless, 12-bit extended and baseline streams match dcmtk decodes', async () => {
  for (const name of ['s12_ll', 's12_sv1', 'srgb_ll', 'ss16_sv1', 's12_ext', 'srgb_eb', 'srgb_eb444']) {
    const out = await decodeStoredFrames(parseDicom(fixtureFile(name), name));
    assert.equal(sha256Int32(out.frames[0]!), JPEG_FIXTURES[name]!.sha256, name);
  }
  // the lossless ones reproduce the original pattern exactly
  const s12 = await decodeStoredFrames(parseDicom(fixtureFile('s12_ll'), 'x'));
  assert.deepEqual([...s12.frames[0]!], [...pattern(16 * 24, 4095, 7)]);
  const ss16 = await decodeStoredFrames(parseDicom(fixtureFile('ss16_sv1'), 'x'));
  assert.deepEqual([...ss16.frames[0]!], [...Int32Array.from(pattern(64, 2000, 5), (x) => x - 1000)]);
});

test('colour JPEG-LS (planar, interleave none) and JPEG 2000 from dcmtk and gdcm decode to the original RGB', async () => {
  for (const [name, fx] of Object.entries(COLOUR_FIXTURES)) {
    const file = syntheticDicom({ rows: 16, cols: 16, samplesPerPixel: 3, bitsAllocated: 8, photometric: fx.photometric, transferSyntaxUid: fx.uid, fragments: [Buffer.from(fx.stream, 'hex')] });
    const img = await decodeDicom(file, name);
    assert.deepEqual([...img.data], [...pattern(768, 255, 3)], name);
  }
});

test('a 12-bit stream labelled JPEG Baseline is routed to the 12-bit decoder', async () => {
  const out = await decodeStoredFrames(parseDicom(fixtureFile('s12_ext', '1.2.840.10008.1.2.4.50'), 'mislabelled.dcm'));
  assert.equal(sha256Int32(out.frames[0]!), JPEG_FIXTURES.s12_ext!.sha256);
});

test('progressive and retired JPEG syntaxes are rejected by name', async () => {
  await assert.rejects(decodeDicom(fixtureFile('s12_ep'), 'prog.dcm'), /^FileFormatError: prog\.dcm: unsupported transfer syntax 1\.2\.840\.10008\.1\.2\.4\.55 \(JPEG Full Progression/);
  assert.throws(() => decodeJpegDct(Buffer.from(JPEG_FIXTURES.s12_ep!.jpeg, 'hex')), (e: unknown) => e instanceof JpegUnsupportedError && /progressive DCT/.test(e.message));
  // a 12-bit progressive stream inside a JPEG Extended file names the unsupported process
  await assert.rejects(decodeDicom(fixtureFile('s12_ep', '1.2.840.10008.1.2.4.51'), 'p.dcm'), /p\.dcm: unsupported JPEG progressive DCT/);
  const mpeg = syntheticDicom({ rows: 2, cols: 2, transferSyntaxUid: '1.2.840.10008.1.2.4.100', fragments: [new Uint8Array(4)] });
  await assert.rejects(decodeDicom(mpeg, 'video.dcm'), /video\.dcm: unsupported transfer syntax 1\.2\.840\.10008\.1\.2\.4\.100 \(MPEG2 Main Profile \/ Main Level\)/);
  const unknown = syntheticDicom({ rows: 2, cols: 2, transferSyntaxUid: '1.2.3.4.5', fragments: [new Uint8Array(4)] });
  await assert.rejects(decodeDicom(unknown, 'u.dcm'), /u\.dcm: unsupported transfer syntax 1\.2\.3\.4\.5 \(unknown transfer syntax\)/);
});

test('own DCT decoder equals libjpeg-turbo on 8-bit streams (grey and 4:4:4 colour)', async () => {
  const w = 40;
  const h = 24;
  const grey = Uint8Array.from(pattern(w * h, 255, 11));
  const jpg = new Uint8Array(await sharp(grey, { raw: { width: w, height: h, channels: 1 } }).toColourspace('b-w').jpeg({ quality: 85 }).toBuffer());
  const mine = decodeJpegDct(jpg);
  const turbo = await decodeJpeg8(jpg);
  assert.deepEqual([...mine.data], [...turbo.values]);
  // colour: compare after our YCbCr->RGB; integer vs float conversion may differ by one level
  const rgb = Uint8Array.from(pattern(w * h * 3, 255, 12));
  const cj = new Uint8Array(await sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 90, chromaSubsampling: '4:4:4' }).toBuffer());
  const file = syntheticDicom({ rows: h, cols: w, samplesPerPixel: 3, bitsAllocated: 8, photometric: 'YBR_FULL', transferSyntaxUid: '1.2.840.10008.1.2.4.51', fragments: [cj] });
  const viaOwn = await decodeDicom(file, 'own', {}); // extended syntax, 8-bit: libjpeg-turbo first
  const dct = decodeJpegDct(cj);
  const { ybrFullToRgb } = await import('../../src/data/dicom/colour.js');
  const ownRgb = ybrFullToRgb(Int32Array.from(dct.data), 8);
  let maxDiff = 0;
  for (let i = 0; i < ownRgb.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ownRgb[i]! - viaOwn.data[i]!));
  assert.ok(maxDiff <= 1, `max difference ${maxDiff}`);
});

test('own DCT decoder: restart intervals and non-interleaved scans (cjpeg streams, djpeg references)', async () => {
  const { ybrFullToRgb } = await import('../../src/data/dicom/colour.js');
  const rst = decodeJpegDct(Buffer.from(CJPEG_FIXTURES.rst!.jpeg, 'hex'));
  assert.equal(sha256Int32(rst.data), CJPEG_FIXTURES.rst!.sha256);
  const multi = decodeJpegDct(Buffer.from(CJPEG_FIXTURES.multi!.jpeg, 'hex'));
  const multiRst = decodeJpegDct(Buffer.from(CJPEG_FIXTURES.multirst!.jpeg, 'hex'));
  assert.deepEqual(multiRst.data, multi.data);
  const turbo = await decodeJpeg8(Buffer.from(CJPEG_FIXTURES.multirst!.jpeg, 'hex'));
  assert.equal(sha256Int32(turbo.values), CJPEG_FIXTURES.multirst!.sha256);
  const rgb = ybrFullToRgb(Int32Array.from(multi.data), 8);
  let maxDiff = 0;
  for (let i = 0; i < rgb.length; i++) maxDiff = Math.max(maxDiff, Math.abs(rgb[i]! - turbo.values[i]!));
  assert.ok(maxDiff <= 1, `max difference ${maxDiff}`);
});

/** PackBits as DICOM RLE wants it: literal runs up to 128 bytes, repeats of 3+ as replicate runs. */
function packBits(src: Uint8Array): Uint8Array {
  const out: number[] = [];
  let i = 0;
  while (i < src.length) {
    let run = 1;
    while (i + run < src.length && run < 128 && src[i + run] === src[i]) run++;
    if (run >= 3) {
      out.push(257 - run, src[i]!);
      i += run;
      continue;
    }
    const start = i;
    while (i < src.length && i - start < 128 && !(i + 2 < src.length && src[i] === src[i + 1] && src[i] === src[i + 2])) i++;
    out.push(i - start - 1, ...src.subarray(start, i));
  }
  if (out.length % 2) out.push(0x80); // a no-op keeps segments even
  return Uint8Array.from(out);
}

function rleFrame(values: ArrayLike<number>, pixels: number, spp: number, bytesPerSample: number): Uint8Array {
  const segments: Uint8Array[] = [];
  for (let s = 0; s < spp; s++) {
    for (let b = bytesPerSample - 1; b >= 0; b--) {
      const plane = new Uint8Array(pixels);
      for (let p = 0; p < pixels; p++) plane[p] = (values[p * spp + s]! >>> (8 * b)) & 0xff;
      segments.push(packBits(plane));
    }
  }
  const header = new Uint8Array(64);
  const view = new DataView(header.buffer);
  view.setUint32(0, segments.length, true);
  let offset = 64;
  segments.forEach((seg, k) => {
    view.setUint32(4 + 4 * k, offset, true);
    offset += seg.length;
  });
  return Uint8Array.from([...header, ...segments.flatMap((s) => [...s])]);
}

test('RLE Lossless: multi-frame signed 16-bit and 8-bit RGB round trips', async () => {
  const rows = 9;
  const cols = 7;
  const frames = [0, 1, 2].map((f) => Int32Array.from(pattern(rows * cols, 3000, f + 20), (x) => x - 1500));
  const file = syntheticDicom({
    rows, cols, frames: 3, bitsAllocated: 16, signed: true, transferSyntaxUid: '1.2.840.10008.1.2.5',
    fragments: frames.map((f) => rleFrame(Int32Array.from(f, (x) => x & 0xffff), rows * cols, 1, 2)),
  });
  const out = await decodeStoredFrames(parseDicom(file, 'rle.dcm'));
  assert.deepEqual(out.frames.map((f) => [...f]), frames.map((f) => [...f]));
  const rgb = pattern(rows * cols * 3, 255, 4);
  const colour = syntheticDicom({ rows, cols, samplesPerPixel: 3, bitsAllocated: 8, transferSyntaxUid: '1.2.840.10008.1.2.5', fragments: [rleFrame(rgb, rows * cols, 3, 1)] });
  const img = await decodeDicom(colour, 'rgb-rle.dcm');
  assert.deepEqual([...img.data], [...rgb]);
  // a segment that decodes short is an error naming the file
  const short = rleFrame(frames[0]!.subarray(0, 58), 58, 1, 2);
  const broken = syntheticDicom({ rows, cols, bitsAllocated: 16, transferSyntaxUid: '1.2.840.10008.1.2.5', fragments: [short] });
  await assert.rejects(decodeDicom(broken, 'short.dcm'), /short\.dcm: RLE segment 0 decodes to 58 bytes, 63 expected/);
  const cut = syntheticDicom({ rows, cols, bitsAllocated: 16, transferSyntaxUid: '1.2.840.10008.1.2.5', fragments: [short.subarray(0, 80)] });
  await assert.rejects(decodeDicom(cut, 'cut.dcm'), /cut\.dcm: RLE segment 0 has invalid offsets 64\.\.\d+ in a 80-byte frame/);
});

async function wasm(path: string): Promise<Record<string, new () => {
  getDecodedBuffer(info: object): Uint8Array; encode(): void; getEncodedBuffer(): Uint8Array; delete(): void; setDecompositions?(n: number): void;
}>> {
  return (require(path) as (o: object) => Promise<never>)({ print() {}, printErr() {} });
}

test('JPEG-LS, JPEG 2000 and HTJ2K round trips (signed 16-bit, multi-frame)', async () => {
  const rows = 12;
  const cols = 20;
  const info = { width: cols, height: rows, bitsPerSample: 16, componentCount: 1, isSigned: true, isUsingColorTransform: false };
  const frames = [0, 1].map((f) => Int16Array.from(pattern(rows * cols, 4000, f + 40), (x) => x - 2000));
  const cases: [string, string, string][] = [
    ['@cornerstonejs/codec-charls/wasmjs', 'JpegLSEncoder', '1.2.840.10008.1.2.4.80'],
    ['@cornerstonejs/codec-openjpeg/wasmjs', 'J2KEncoder', '1.2.840.10008.1.2.4.90'],
    ['@cornerstonejs/codec-openjph/wasmjs', 'HTJ2KEncoder', '1.2.840.10008.1.2.4.201'],
  ];
  for (const [path, cls, uid] of cases) {
    const mod = await wasm(path);
    const encoded = frames.map((f) => {
      const enc = new mod[cls]!();
      enc.setDecompositions?.(2);
      enc.getDecodedBuffer(info).set(new Uint8Array(f.buffer));
      enc.encode();
      const bytes = enc.getEncodedBuffer().slice();
      enc.delete();
      return bytes;
    });
    const file = syntheticDicom({ rows, cols, frames: 2, bitsAllocated: 16, signed: true, transferSyntaxUid: uid, fragments: encoded });
    const out = await decodeStoredFrames(parseDicom(file, cls));
    assert.deepEqual(out.frames.map((f) => [...f]), frames.map((f) => [...f]), cls);
  }
});

test('a corrupt compressed frame is a FileFormatError naming the file and frame', async () => {
  const jpeg = Buffer.from(JPEG_FIXTURES.s12_ll!.jpeg, 'hex');
  const broken = syntheticDicom({ rows: 16, cols: 24, bitsStored: 12, transferSyntaxUid: '1.2.840.10008.1.2.4.57', fragments: [jpeg.subarray(0, 30)] });
  await assert.rejects(decodeDicom(broken, 'cut.dcm'), (e: unknown) => e instanceof FileFormatError && e.message.startsWith('cut.dcm: '));
  const wrongSize = syntheticDicom({ rows: 17, cols: 24, bitsStored: 12, transferSyntaxUid: '1.2.840.10008.1.2.4.57', fragments: [jpeg] });
  await assert.rejects(decodeDicom(wrongSize, 'size.dcm'), /size\.dcm: compressed frame is 24x16x1, the header says 24x17x1/);
});
