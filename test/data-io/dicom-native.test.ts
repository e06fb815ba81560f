/**
 * Native (uncompressed) pixel data and the grey-level pipeline on synthetic
 * files, plus byte-order/VR round trips of a real file through our writer
 * (the writer's Big Endian output was checked with dcmtk: dcmdump reads it and
 * `dcmconv +te` gives back identical pixel data).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { needData } from '../helpers/data.js';
import { parseDicom } from '../../src/data/dicom/parse.js';
import { writeDicom } from '../../src/data/dicom/write.js';
import { decodeDicom, decodeStoredFrames } from '../../src/data/dicom/read-dicom.js';
import { textElement, bytesElement } from '../../src/data/dicom/elements.js';
import { Tags } from '../../src/data/dicom/tags.js';
import { FileFormatError } from '../../src/common/errors.js';
import { pattern, syntheticDicom } from './synthetic.js';
import { sha256Int32 } from './hash.js';

const MR_SMALL_SHA = 'b8d9a6cee6ff2ea9'; // gdcm reference, see dicom-reference.test.ts

test('a real file survives Big Endian, Implicit VR and Deflated re-encoding', async (t) => {
  const path = needData(t, 'dicom/MR_small.dcm');
  if (!path) return;
  const f = parseDicom(readFileSync(path), 'MR_small.dcm');
  for (const uid of ['1.2.840.10008.1.2.2', '1.2.840.10008.1.2', '1.2.840.10008.1.2.1.99']) {
    const bytes = writeDicom(f.meta, f.dataset, { transferSyntaxUid: uid });
    const back = parseDicom(bytes, uid);
    assert.equal(back.transferSyntaxUid, uid);
    assert.equal(back.dataset.string(Tags.PatientName), f.dataset.string(Tags.PatientName));
    assert.deepEqual(back.dataset.numbers(Tags.ImagePositionPatient), f.dataset.numbers(Tags.ImagePositionPatient));
    const out = await decodeStoredFrames(back);
    assert.equal(sha256Int32(out.frames[0]!).slice(0, 16), MR_SMALL_SHA, uid);
    const img = await decodeDicom(bytes, uid, { window: 'file' });
    assert.deepEqual(img.meta.window, { center: 600, width: 1600 });
  }
});

test('integer layouts: 8-bit signed, 12-in-16 with overlay bits, 32-bit signed and unsigned', async () => {
  const s8 = [-128, -1, 0, 1, 127, 5];
  let out = await decodeStoredFrames(parseDicom(syntheticDicom({ rows: 2, cols: 3, bitsAllocated: 8, signed: true, values: s8 }), 's8'));
  assert.deepEqual([...out.frames[0]!], s8);
  // bits above BitsStored (an old overlay plane) are ignored; 12-bit signed is sign-extended
  const raw = [0xf000 | 0x0fff, 0x8000 | 0x0800, 0x07ff, 0x0001];
  out = await decodeStoredFrames(parseDicom(syntheticDicom({ rows: 2, cols: 2, bitsStored: 12, signed: true, values: raw }), 's12'));
  assert.deepEqual([...out.frames[0]!], [-1, -2048, 2047, 1]);
  out = await decodeStoredFrames(parseDicom(syntheticDicom({ rows: 2, cols: 2, bitsStored: 12, values: raw }), 'u12'));
  assert.deepEqual([...out.frames[0]!], [4095, 2048, 2047, 1]);
  const s32 = [-2147483648, -5, 7, 2147483647];
  out = await decodeStoredFrames(parseDicom(syntheticDicom({ rows: 2, cols: 2, bitsAllocated: 32, signed: true, values: s32 }), 's32'));
  assert.deepEqual([...out.frames[0]!], s32);
  const u32 = [0, 1, 4294967295, 3000000000];
  out = await decodeStoredFrames(parseDicom(syntheticDicom({ rows: 2, cols: 2, bitsAllocated: 32, values: u32 }), 'u32'));
  assert.deepEqual([...out.frames[0]!], u32);
});

test('1-bit frames are unpacked across byte boundaries (multi-frame segmentation)', async () => {
  const rows = 3;
  const cols = 5;
  const bits = Array.from({ length: 3 * rows * cols }, (_, i) => ((i * 7) % 3 === 0 ? 1 : 0));
  const img = await decodeDicom(syntheticDicom({ rows, cols, frames: 3, bitsAllocated: 1, values: bits }), 'seg');
  assert.equal(img.frames, 3);
  assert.deepEqual([...img.data], bits);
  const second = await decodeDicom(syntheticDicom({ rows, cols, frames: 3, bitsAllocated: 1, values: bits }), 'seg', { frames: [1] });
  assert.deepEqual([...second.data], bits.slice(15, 30));
});

test('colour: planar RGB, native YBR_FULL and YBR_FULL_422, greyscale reduction', async () => {
  const rgb = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30];
  const planar = [255, 0, 0, 10, 0, 255, 0, 20, 0, 0, 255, 30]; // RRRR GGGG BBBB
  const img = await decodeDicom(syntheticDicom({ rows: 2, cols: 2, samplesPerPixel: 3, bitsAllocated: 8, planarConfiguration: 1, values: planar }), 'planar');
  assert.deepEqual([...img.data], rgb);
  const grey = await decodeDicom(syntheticDicom({ rows: 2, cols: 2, samplesPerPixel: 3, bitsAllocated: 8, values: rgb }), 'rgb', { greyscale: true });
  assert.deepEqual([...grey.data].map((v) => Math.round(v * 1000) / 1000), [76.245, 149.685, 29.07, 18.15]);
  // YBR_FULL (JFIF equations): pure grey (Y, 128, 128) stays grey; (76, 85, 255) is red
  const ybr = await decodeDicom(syntheticDicom({ rows: 1, cols: 2, samplesPerPixel: 3, bitsAllocated: 8, photometric: 'YBR_FULL', values: [100, 128, 128, 76, 85, 255] }), 'ybr');
  assert.deepEqual([...ybr.data], [100, 100, 100, 254, 0, 0]);
  // YBR_FULL_422: Y1 Y2 Cb Cr for each pair of pixels
  const y422 = await decodeDicom(syntheticDicom({ rows: 1, cols: 4, samplesPerPixel: 3, bitsAllocated: 8, photometric: 'YBR_FULL_422', values: [50, 60, 128, 128, 76, 76, 85, 255] }), 'y422');
  assert.deepEqual([...y422.data], [50, 50, 50, 60, 60, 60, 254, 0, 0, 254, 0, 0]);
  const y422grey = await decodeDicom(syntheticDicom({ rows: 1, cols: 4, samplesPerPixel: 3, bitsAllocated: 8, photometric: 'YBR_FULL_422', values: [50, 60, 128, 128, 76, 76, 85, 255] }), 'y422', { greyscale: true });
  assert.deepEqual([...y422grey.data], [50, 60, 76, 76]);
});

test('VOI windows: LINEAR per PS3.3 C.11.2.1.2, LINEAR_EXACT, SIGMOID, and MONOCHROME1 inverted after windowing', async () => {
  const values = [0, 40, 50, 60, 100];
  const file = (extra: Parameters<typeof syntheticDicom>[0]['extra'] = []) => syntheticDicom({ rows: 1, cols: 5, values, extra });
  const lin = await decodeDicom(file(), 'w', { window: { center: 50, width: 21 } });
  // lower edge 50 - 0.5 - 10 = 39.5, upper 59.5; y = (x - 49.5) / 20 + 0.5
  assert.deepEqual([...lin.data].map((v) => +v.toFixed(4)), [0, 0.025, 0.525, 1, 1]);
  const exact = await decodeDicom(file([textElement(Tags.VOILUTFunction, 'CS', 'LINEAR_EXACT')]), 'w', { window: { center: 50, width: 20 } });
  assert.deepEqual([...exact.data].map((v) => +v.toFixed(4)), [0, 0, 0.5, 1, 1]);
  const sig = await decodeDicom(file([textElement(Tags.VOILUTFunction, 'CS', 'SIGMOID')]), 'w', { window: { center: 50, width: 20 } });
  assert.ok(Math.abs(sig.data[2]! - 0.5) < 1e-6 && sig.data[0]! < 0.01 && sig.data[4]! > 0.99);
  const fromFile = await decodeDicom(file([textElement(Tags.WindowCenter, 'DS', ['50', '10']), textElement(Tags.WindowWidth, 'DS', ['21', '5'])]), 'w', { window: 'file' });
  assert.deepEqual(fromFile.meta.window, { center: 50, width: 21 });
  await assert.rejects(decodeDicom(file(), 'nowin.dcm', { window: 'file' }), /nowin\.dcm: no usable VOI window/);
  const mono1 = syntheticDicom({ rows: 1, cols: 5, values, photometric: 'MONOCHROME1' });
  const inv = await decodeDicom(mono1, 'm1', { window: { center: 50, width: 21 } });
  assert.deepEqual([...inv.data].map((v) => +v.toFixed(4)), [1, 0.975, 0.475, 0, 0]);
  // without a window: mirrored inside the 16-bit stored range, rescaled
  const inv2 = await decodeDicom(syntheticDicom({ rows: 1, cols: 5, values, photometric: 'MONOCHROME1', bitsStored: 8, extra: [textElement(Tags.RescaleSlope, 'DS', '2'), textElement(Tags.RescaleIntercept, 'DS', '-10')] }), 'm1');
  assert.deepEqual([...inv2.data], values.map((v) => -10 + 500 - (2 * v - 10)));
});

test('float pixel data and frame selection', async () => {
  const floats = new Float32Array([0.5, -1.25, 3e6, 7]);
  const meta = parseDicom(syntheticDicom({ rows: 1, cols: 1, values: [0] }), 'x').meta;
  const ds = parseDicom(syntheticDicom({ rows: 2, cols: 2, values: [0, 0, 0, 0] }), 'x').dataset;
  ds.elements.delete(Tags.PixelData);
  ds.set(bytesElement(Tags.FloatPixelData, 'OF', new Uint8Array(floats.buffer)));
  const img = await decodeDicom(writeDicom(meta, ds), 'float.dcm');
  assert.deepEqual([...img.data], [...floats]);
  const multi = syntheticDicom({ rows: 2, cols: 2, frames: 4, values: pattern(16, 1000) });
  const two = await decodeDicom(multi, 'mf', { frames: [3, 1] });
  assert.deepEqual([...two.data], [...pattern(16, 1000).slice(12, 16), ...pattern(16, 1000).slice(4, 8)]);
  await assert.rejects(decodeDicom(multi, 'mf.dcm', { frames: [4] }), /mf\.dcm: frame 4 requested, the file has 4/);
});

test('header and layout errors name the file and the problem', async () => {
  const expectError = async (bytes: Uint8Array, re: RegExp) =>
    assert.rejects(decodeDicom(bytes, 'bad.dcm'), (e: unknown) => e instanceof FileFormatError && e.file === 'bad.dcm' && re.test(e.message));
  await expectError(new Uint8Array(200), /not a DICOM file \(no DICM prefix at byte 128\)/);
  await expectError(new Uint8Array(10), /not a DICOM file \(only 10 bytes\)/);
  await expectError(syntheticDicom({ rows: 4, cols: 4, values: [1, 2, 3] }), /Pixel Data has 6 bytes, 1 frame\(s\) of 4x4x1 at 16 bits need 32/);
  await expectError(syntheticDicom({ rows: 2, cols: 2, bitsAllocated: 8, bitsStored: 12, values: [1, 2, 3, 4] }), /BitsStored 12 does not fit BitsAllocated 8/);
  await expectError(syntheticDicom({ rows: 2, cols: 2, bitsAllocated: 24, values: [] }), /unsupported BitsAllocated 24/);
  await expectError(syntheticDicom({ rows: 2, cols: 2, samplesPerPixel: 4, values: [] }), /unsupported SamplesPerPixel 4/);
  await expectError(syntheticDicom({ rows: 2, cols: 2, photometric: 'PALETTE COLOR', values: [1, 2, 3, 4] }), /unsupported photometric interpretation PALETTE COLOR/);
  await expectError(syntheticDicom({ rows: 2, cols: 2, photometric: 'HSV', values: [1, 2, 3, 4] }), /unsupported photometric interpretation HSV/);
  await expectError(syntheticDicom({ rows: 0, cols: 2, values: [] }), /image has 0x2 pixels/);
  await expectError(syntheticDicom({ rows: 40000, cols: 40000, frames: 1, values: [] }), /too large/);
  // a value length running past the end
  const good = syntheticDicom({ rows: 2, cols: 2, values: [1, 2, 3, 4] });
  await expectError(good.subarray(0, good.length - 3), /value of \(7FE0,0010\) claims 8 bytes but only 5 remain/);
});

test('files without preamble, and without file meta group, still parse', async () => {
  const full = syntheticDicom({ rows: 2, cols: 2, values: [1, 2, 3, 4], extra: [textElement(Tags.InstanceNumber, 'IS', '1')] });
  const noPreamble = full.subarray(128);
  const a = await decodeDicom(noPreamble, 'np');
  assert.deepEqual([...a.data], [1, 2, 3, 4]);
  const f = parseDicom(noPreamble, 'np');
  assert.ok(f.warnings.includes('no 128-byte preamble'));
  // a bare Implicit VR data set (ACR-NEMA style): no preamble, no meta group
  const implicit = writeDicom(f.meta, f.dataset, { transferSyntaxUid: '1.2.840.10008.1.2' });
  const metaLength = new DataView(implicit.buffer, implicit.byteOffset).getUint32(140, true);
  const bare = implicit.subarray(132 + 12 + metaLength);
  const b = await decodeDicom(bare, 'bare');
  assert.deepEqual([...b.data], [1, 2, 3, 4]);
  assert.equal(parseDicom(bare, 'bare').transferSyntaxUid, '1.2.840.10008.1.2');
});
