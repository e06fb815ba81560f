/**
 * Image-folder and CSV datasets: mixed formats, fixed size, unreadable files
 * reported (never ending a run unless strict). Real data: Montgomery PNGs,
 * whose pixel means were checked with Pillow 9.4 (Debian python3-pil).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { needData } from '../helpers/data.js';
import { batches, classCounts } from '../../src/data/dataset.js';
import { openImageFolder } from '../../src/data/images/folder-dataset.js';
import { openCsvDataset, parseCsvLine } from '../../src/data/images/csv-dataset.js';
import { readImage } from '../../src/data/images/read-image.js';
import { imageStats } from '../../src/data/images/medical-image.js';
import { niftiBytes, pattern, syntheticDicom } from './synthetic.js';
import { textElement } from '../../src/data/dicom/elements.js';
import { Tags } from '../../src/data/dicom/tags.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'privmed-images-'));
}

async function writeMixedFolder(root: string): Promise<void> {
  mkdirSync(join(root, 'normal', 'nested'), { recursive: true });
  mkdirSync(join(root, 'tumour'));
  const grey = Buffer.from(Uint8Array.from(pattern(20 * 30, 255, 1)));
  await sharp(grey, { raw: { width: 30, height: 20, channels: 1 } }).png().toFile(join(root, 'normal', 'a.png'));
  const rgb = Buffer.from(Uint8Array.from(pattern(16 * 16 * 3, 255, 2)));
  await sharp(rgb, { raw: { width: 16, height: 16, channels: 3 } }).jpeg().toFile(join(root, 'normal', 'nested', 'b.jpg'));
  const deep = new Uint16Array(Uint16Array.from(pattern(10 * 10, 65535, 3)));
  await sharp(deep, { raw: { width: 10, height: 10, channels: 1 } }).toColourspace('grey16').png().toFile(join(root, 'normal', 'c16.png'));
  writeFileSync(join(root, 'tumour', 'slice.dcm'), syntheticDicom({ rows: 12, cols: 12, values: pattern(144, 3000, 4), extra: [textElement(Tags.WindowCenter, 'DS', '1500'), textElement(Tags.WindowWidth, 'DS', '3000')] }));
  writeFileSync(join(root, 'tumour', 'vol.nii'), niftiBytes({ dims: [6, 7, 5], datatype: 'int16', values: pattern(210, 900, 5) }));
  writeFileSync(join(root, 'tumour', 'broken.png'), Buffer.from('not really a png'));
  writeFileSync(join(root, 'tumour', 'notes.txt'), 'annotations');
  writeFileSync(join(root, 'tumour', '.DS_Store'), 'x');
}

test('class subfolders with mixed formats; a bad file is skipped and reported, strict stops', async () => {
  const root = tempDir();
  try {
    await writeMixedFolder(root);
    const ds = await openImageFolder(root, { height: 8, width: 8, channels: 1 });
    assert.deepEqual(ds.info.classes, ['normal', 'tumour']);
    assert.equal(ds.length, 6);
    assert.deepEqual(classCounts(ds), [3, 3]);
    assert.deepEqual(ds.skipped.map((s) => s.reason), ['not an image file name (tumour/notes.txt)']);
    const skipped: string[] = [];
    let n = 0;
    for await (const b of batches(ds, { batchSize: 4, onSkip: (i, e) => skipped.push(`${ds.describe(i)}|${e.message}`) })) {
      n += b.size;
      assert.equal(b.x.length, b.size * 64);
      assert.ok(b.x.every((v) => v >= -1e-6 && v <= 1 + 1e-6), 'auto intensity is in [0, 1]');
    }
    assert.equal(n, 5);
    assert.equal(skipped.length, 1);
    assert.match(skipped[0]!, /broken\.png\|.*broken\.png: PNG cannot be decoded/);
    assert.equal(ds.failures.size, 1);
    await assert.rejects(async () => {
      for await (const _ of batches(ds, { batchSize: 4, strict: true })) void _;
    }, /broken\.png: PNG cannot be decoded/);
    const bad = await ds.validate();
    assert.deepEqual(bad.map((b) => b.file), [join(root, 'tumour', 'broken.png')]);
    // 3 channels: grey is replicated, colour kept
    const rgb = await openImageFolder(root, { height: 5, width: 5, channels: 3 });
    const s = await rgb.get(0);
    assert.equal(s.image.length, 75);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('16-bit PNG keeps its range; DICOM uses its window; NIfTI gives the middle slice', async () => {
  const root = tempDir();
  try {
    await writeMixedFolder(root);
    const raw16 = await readImage(join(root, 'normal', 'c16.png'), { intensity: 'raw' });
    assert.deepEqual([...raw16.data], [...pattern(100, 65535, 3)]);
    assert.equal(raw16.meta.bitsStored, 16);
    const dcm = await readImage(join(root, 'tumour', 'slice.dcm'));
    assert.deepEqual(dcm.meta.window, { center: 1500, width: 3000 });
    const nii = await readImage(join(root, 'tumour', 'vol.nii'), { intensity: 'raw' });
    assert.deepEqual([nii.rows, nii.cols], [7, 6]);
    assert.deepEqual([...nii.data], [...pattern(210, 900, 5).slice(2 * 42, 3 * 42)]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('CSV parsing: quotes, header, unknown labels and missing files are listed', async () => {
  assert.deepEqual(parseCsvLine('"a, b.png",1'), ['a, b.png', '1']);
  assert.deepEqual(parseCsvLine('"say ""hi""",x'), ['say "hi"', 'x']);
  const root = tempDir();
  try {
    await writeMixedFolder(root);
    writeFileSync(join(root, 'list.csv'), ['path,label', 'normal/a.png,healthy', '"tumour/slice.dcm",sick', 'tumour/vol.nii,sick', 'missing.png,healthy', 'normal/c16.png,other', 'lonely'].join('\n'));
    const ds = await openCsvDataset(join(root, 'list.csv'), { height: 4, width: 4, classes: ['healthy', 'sick'] });
    assert.equal(ds.length, 3);
    assert.deepEqual(ds.skipped.map((s) => s.reason.replace(root, '<root>')), [
      'listed at <root>/list.csv:5 but missing',
      'row needs path,label',
      "<root>/list.csv:6: unknown label 'other' (classes: healthy, sick)",
    ]);
    writeFileSync(join(root, 'ints.csv'), 'normal/a.png,0\ntumour/vol.nii,2\n');
    const ints = await openCsvDataset(join(root, 'ints.csv'), { height: 4, width: 4 });
    assert.deepEqual(ints.info.classes, ['0', '1', '2']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('Montgomery chest X-rays through a CSV: counts, pixel means (Pillow) and resizing', async (t) => {
  const dir = needData(t, 'montgomery/LR_64/images');
  if (!dir) return;
  const root = tempDir();
  try {
    const files = readdirSync(dir).filter((f) => f.endsWith('.png')).sort();
    writeFileSync(join(root, 'mc.csv'), files.map((f) => `${join(dir, f)},${f.endsWith('_1.png') ? 'tb' : 'normal'}`).join('\n'));
    const ds = await openCsvDataset(join(root, 'mc.csv'), { height: 64, width: 64, intensity: 'raw' });
    assert.deepEqual(ds.info.classes, ['normal', 'tb']);
    assert.deepEqual(classCounts(ds), [80, 58]);
    const pil: [number, number][] = [[0, 96.478271484375], [1, 95.18994140625], [2, 104.90478515625]];
    for (const [i, mean] of pil) assert.ok(Math.abs(imageStats((await ds.get(i)).image).mean - mean) < 1e-9, files[i]);
    const small = await openCsvDataset(join(root, 'mc.csv'), { height: 28, width: 28 });
    const s = imageStats((await small.get(0)).image);
    assert.ok(Math.abs(s.mean - 96.478271484375 / 255) < 0.01, `resized mean ${s.mean}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a CSV mixing real PNG, DICOM and NIfTI files', async (t) => {
  const png = needData(t, 'montgomery/LR_64/images/MCUCXR_0001_0.png');
  const dcm = needData(t, 'dicom/CT_small.dcm');
  const nii = needData(t, 'hippocampus/images/hippocampus_001.nii.gz');
  if (!png || !dcm || !nii) return;
  const root = tempDir();
  try {
    writeFileSync(join(root, 'mixed.csv'), `path,label\n${png},xray\n${dcm},ct\n${nii},mri\n`);
    const ds = await openCsvDataset(join(root, 'mixed.csv'), { height: 32, width: 32 });
    for (let i = 0; i < 3; i++) {
      const s = await ds.get(i);
      assert.equal(s.image.length, 32 * 32);
      const st = imageStats(s.image);
      assert.ok(st.min >= -1e-6 && st.max <= 1 + 1e-6 && st.std > 0.05, ds.describe(i));
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
