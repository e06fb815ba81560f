/**
 * DICOM SEG masks laid onto their image series: the real liver SEG of the
 * shared data (dcmqi, one 512x512 BINARY frame), and SEGs written here with
 * privmed's DICOM writer for the shared CT5N series (5 slices of 16x16,
 * position order 3353, 3023, 2693, 2392, 2062), matched by source image or by
 * position, read through a segmentation folder as training reads it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needData } from '../helpers/data.js';
import { DicomDataSet } from '../../src/data/dicom/data-set.js';
import { bytesElement, dataSetOf, numberElement, sequenceElement, textElement } from '../../src/data/dicom/elements.js';
import { parseDicom } from '../../src/data/dicom/parse.js';
import { alignSeg, readDicomSeg } from '../../src/data/dicom/seg.js';
import { tag, Tags } from '../../src/data/dicom/tags.js';
import { writeDicom } from '../../src/data/dicom/write.js';
import { readCases } from '../../src/data/segmentation/seg-cases.js';

const item = (...els: Parameters<typeof dataSetOf>[0]) => dataSetOf(els);
const SEG_CLASS = '1.2.840.10008.5.1.4.1.1.66.4';

interface FrameSpec {
  segment: number;
  sop?: string;
  position?: number[];
  pixels: number[]; // indices set to 1
}

/** A BINARY SEG (Explicit VR LE) of rows x cols frames, bits packed across frames as PS3.5 8.1.1 says. */
function segBytes(rows: number, cols: number, segments: string[], frames: FrameSpec[]): Uint8Array {
  const hw = rows * cols;
  const bits = new Uint8Array(Math.ceil((frames.length * hw) / 8));
  frames.forEach((f, k) => f.pixels.forEach((i) => (bits[(k * hw + i) >> 3]! |= 1 << ((k * hw + i) & 7))));
  const perFrame = frames.map((f) => {
    const els = [sequenceElement(tag(0x0062, 0x000a), [item(numberElement(tag(0x0062, 0x000b), 'US', f.segment))])];
    if (f.sop) els.push(sequenceElement(tag(0x0008, 0x9124), [item(sequenceElement(tag(0x0008, 0x2112), [item(textElement(tag(0x0008, 0x1155), 'UI', f.sop))]))]));
    if (f.position) els.push(sequenceElement(tag(0x0020, 0x9113), [item(textElement(Tags.ImagePositionPatient, 'DS', f.position.map(String)))]));
    return item(...els);
  });
  const ds = dataSetOf([
    textElement(Tags.SOPClassUID, 'UI', SEG_CLASS),
    textElement(Tags.SOPInstanceUID, 'UI', '1.2.3.4.5'),
    textElement(Tags.Modality, 'CS', 'SEG'),
    numberElement(Tags.SamplesPerPixel, 'US', 1),
    textElement(Tags.PhotometricInterpretation, 'CS', 'MONOCHROME2'),
    textElement(Tags.NumberOfFrames, 'IS', String(frames.length)),
    numberElement(Tags.Rows, 'US', rows),
    numberElement(Tags.Columns, 'US', cols),
    numberElement(Tags.BitsAllocated, 'US', 1),
    numberElement(Tags.BitsStored, 'US', 1),
    numberElement(Tags.HighBit, 'US', 0),
    numberElement(Tags.PixelRepresentation, 'US', 0),
    textElement(tag(0x0062, 0x0001), 'CS', 'BINARY'),
    sequenceElement(tag(0x0062, 0x0002), segments.map((label, i) => item(numberElement(tag(0x0062, 0x0004), 'US', i + 1), textElement(tag(0x0062, 0x0005), 'LO', label)))),
    sequenceElement(tag(0x5200, 0x9230), perFrame),
    bytesElement(Tags.PixelData, 'OB', bits.length % 2 ? Uint8Array.from([...bits, 0]) : bits),
  ]);
  const meta = dataSetOf([textElement(Tags.MediaStorageSOPClassUID, 'UI', SEG_CLASS), textElement(Tags.MediaStorageSOPInstanceUID, 'UI', '1.2.3.4.5')]);
  return writeDicom(meta, ds);
}

test('the shared liver SEG: one BINARY frame, its segment, source image and position', async (t) => {
  const path = needData(t, 'dicom/liver_1frame.dcm');
  if (!path) return;
  const bytes = readFileSync(path);
  const seg = await readDicomSeg(parseDicom(bytes, path));
  assert.equal(seg.type, 'BINARY');
  assert.deepEqual(seg.segments, [{ number: 1, label: 'Liver' }]);
  assert.deepEqual([seg.rows, seg.cols, seg.frames.length], [512, 512, 1]);
  const f = seg.frames[0]!;
  assert.equal(f.sourceSop, '1.2.392.200103.20080913.113635.2.2009.6.22.21.43.10.23433.1');
  assert.deepEqual(f.position, [-235.2, -226.8, -128.69]);
  assert.match(seg.warnings.join(), /per-frame items for 1 frame/);
  // The mask's pixel count, from the raw bits of Pixel Data (the file's last 32768 bytes).
  let ones = 0;
  for (const b of bytes.subarray(bytes.length - 32768)) for (let k = 0; k < 8; k++) ones += (b >> k) & 1;
  assert.ok(ones > 1000);
  assert.equal(f.pixels.reduce((a, v) => a + v, 0), ones);
  // Laid onto a one-slice series holding the source image: the mask lands on slice 0 unchanged.
  const { labels } = alignSeg(seg, { source: 'ct', frames: 1, rows: 512, cols: 512, sopInstanceUids: [f.sourceSop!] });
  assert.deepEqual(Array.from(labels), Array.from(f.pixels));
  assert.throws(() => alignSeg(seg, { source: 'ct', frames: 1, rows: 512, cols: 512, sopInstanceUids: ['9.9'] }), /liver_1frame\.dcm.*frame 1 names source image .*23433\.1 at position -235\.2\\-226\.8\\-128\.69: no slice of ct matches it/);
  assert.throws(() => alignSeg(seg, { source: 'ct', frames: 1, rows: 256, cols: 512, sopInstanceUids: [f.sourceSop!] }), /frames are 512x512, the slices of ct 256x512/);
});

test('a SEG written for a real CT series lands on the right slices, by source image or by position', async (t) => {
  const src = needData(t, 'dicom/dicomdirtests/98892001/CT5N');
  if (!src) return;
  const dir = mkdtempSync(join(tmpdir(), 'privmed-seg-dicom-'));
  try {
    const series = join(dir, 'images', 'ct5n');
    mkdirSync(series, { recursive: true });
    mkdirSync(join(dir, 'labels'));
    const info = new Map<string, { sop: string; ipp: number[] }>();
    for (const name of readdirSync(src)) {
      const bytes = readFileSync(join(src, name));
      writeFileSync(join(series, name), bytes);
      const ds: DicomDataSet = parseDicom(bytes, name).dataset;
      info.set(name, { sop: ds.string(Tags.SOPInstanceUID)!, ipp: ds.numbers(Tags.ImagePositionPatient) });
    }
    // Volume slice 2 is file 2693 (by source image), slice 4 is file 2062 (by position only); segment 2 overlaps segment 1 on slice 2.
    const frames: FrameSpec[] = [
      { segment: 1, sop: info.get('2693')!.sop, pixels: [0, 1, 17, 255] },
      { segment: 2, position: info.get('2062')!.ipp, pixels: [5, 6] },
      { segment: 2, sop: info.get('2693')!.sop, pixels: [17, 18] },
    ];
    writeFileSync(join(dir, 'labels', 'ct5n.dcm'), segBytes(16, 16, ['organ', 'lesion'], frames));
    const [c] = await readCases(dir, { numClasses: 3 });
    assert.equal(c!.format, 'dicom');
    assert.deepEqual([c!.depth, c!.height, c!.width], [5, 16, 16]);
    const set = new Map<number, number>();
    c!.mask.forEach((v, i) => v && set.set(i, v));
    assert.deepEqual([...set].sort((a, b) => a[0] - b[0]), [[512, 1], [513, 1], [529, 2], [530, 2], [767, 1], [1029, 2], [1030, 2]]);
    // A segment number beyond the classes is refused with the SEG's name.
    await assert.rejects(readCases(dir, { numClasses: 2 }), /ct5n\.dcm: label value 2 at voxel 529: expected an integer class 0\.\.1/);
    // A frame naming neither a slice of the series nor a position on it.
    writeFileSync(join(dir, 'labels', 'ct5n.dcm'), segBytes(16, 16, ['organ'], [{ segment: 1, sop: '1.2.3', pixels: [0] }]));
    await assert.rejects(readCases(dir, { numClasses: 2 }), /ct5n\.dcm.*frame 1 names source image 1\.2\.3: no slice of .*ct5n matches it/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
