import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Rng } from '../../src/common/rng.js';
import { decodeNifti } from '../../src/data/nifti/read-nifti.js';
import { loadBatch } from '../../src/data/dataset.js';
import { openSegmentation, splitNames } from '../../src/data/segmentation/open-segmentation.js';
import { readCase, readCases, toNiftiOrder } from '../../src/data/segmentation/seg-cases.js';
import { segAugmentation } from '../../src/data/segmentation/seg-augment.js';
import { patchFor, SliceDataset } from '../../src/data/segmentation/slice-dataset.js';
import { writeNiftiMask } from '../../src/data/segmentation/write-mask.js';
import { niftiBytes, writePngFolder, writeVolumeFolder } from './fixtures.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'privmed-seg-'));

test('NIfTI cases: sliced along the chosen axis, z-scored, labels exact; the inverse order restores the file grid', async () => {
  const dir = tmp();
  writeVolumeFolder(dir, 2, [6, 10, 9]);
  const [c] = await readCases(dir, { numClasses: 3, axis: 0 });
  assert.deepEqual([c!.depth, c!.height, c!.width], [6, 10, 9]);
  const mean = c!.image.reduce((a, b) => a + b, 0) / c!.image.length;
  assert.ok(Math.abs(mean) < 1e-5, 'per-case z-score');
  const file = decodeNifti(readFileSync(join(dir, 'labels', 'case_000.nii.gz')), 'l');
  assert.deepEqual(Array.from(toNiftiOrder(c!.mask, c!.nifti!.dims, 0)), Array.from(file.data));
  const along2 = await readCase({ name: 'x', image: join(dir, 'images', 'case_000.nii.gz'), label: join(dir, 'labels', 'case_000.nii.gz') }, { numClasses: 3, axis: 2 });
  assert.deepEqual([along2.depth, along2.height, along2.width], [9, 6, 10]);
  assert.deepEqual(Array.from(toNiftiOrder(along2.mask, along2.nifti!.dims, 2)), Array.from(file.data));
});

test('NIfTI pairs on different grids or affines, and non-integer or unknown labels, are refused naming the label file', async () => {
  const dir = tmp();
  const img = join(dir, 'i.nii');
  writeFileSync(img, niftiBytes([4, 4, 2], new Float32Array(32)));
  const write = (name: string, bytes: Uint8Array) => (writeFileSync(join(dir, name), bytes), join(dir, name));
  const read = (label: string) => readCase({ name: 'i', image: img, label }, { numClasses: 3 });
  await assert.rejects(read(write('grid.nii', niftiBytes([4, 4, 3], new Float32Array(48)))), /grid\.nii.*label grid 4x4x3 differs from its image's 4x4x2/);
  await assert.rejects(read(write('aff.nii.gz', gzipSync(niftiBytes([4, 4, 2], new Float32Array(32), { affine: [[2, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]] })))), /aff\.nii\.gz.*affine/);
  await assert.rejects(read(write('half.nii', niftiBytes([4, 4, 2], Float32Array.from({ length: 32 }, (_, i) => (i === 5 ? 0.5 : 0))))), /half\.nii.*label value 0\.5 at voxel 5: expected an integer class 0\.\.2/);
  await assert.rejects(read(write('big.nii', niftiBytes([4, 4, 2], Float32Array.from({ length: 32 }, (_, i) => (i === 7 ? 3 : 0))))), /label value 3 at voxel 7/);
});

test('slices are padded to the patch (a multiple of 2^depth), carry their case, and foreground draws hit the structure', async () => {
  const dir = tmp();
  writeVolumeFolder(dir, 3, [6, 10, 9]);
  const cases = await readCases(dir, { numClasses: 3 });
  const patch = patchFor(cases, 2);
  assert.deepEqual(patch, [12, 12]);
  const all = new SliceDataset(cases, { mode: 'all', patch, classes: ['bg', 'a', 'p'], context: 1 });
  assert.equal(all.length, 18);
  assert.equal(all.info.channels, 3);
  const b = await loadBatch(all, [0, 1, 6]);
  assert.deepEqual(Array.from(b.groups!), [0, 0, 1]);
  assert.equal(b.masks!.length, 3 * 144);
  // Centred padding: rows 1..10 and columns 1..9 hold the slice, the rest is background.
  const s = all.slice(0, 2);
  assert.deepEqual(Array.from(all.unpad(0, s.mask!)), Array.from(cases[0]!.mask.subarray(2 * 90, 3 * 90)));
  assert.equal(s.mask!.filter((v, i) => v !== 0 && (i < 12 || i % 12 === 0 || i % 12 > 9)).length, 0);
  const sampler = new SliceDataset(cases, { mode: 'sample', patch, classes: ['bg', 'a', 'p'], foreground: 1, seed: 3 });
  for (let i = 0; i < 20; i++) assert.ok((await sampler.get(i % 3)).mask!.some((v) => v > 0), 'foreground 1: every draw holds a structure');
});

test('joint augmentation moves image and mask together, never blends classes, and is the identity at zero strength', () => {
  const h = 16;
  const w = 12;
  const mask = Int32Array.from({ length: h * w }, (_, i) => (Math.floor(i / w) > 8 ? 2 : i % w > 6 ? 1 : 0));
  const image = Float32Array.from(mask, (m) => m * 10);
  const sample = { image, label: 1, mask, group: 4 };
  const zero = segAugmentation({ height: h, width: w, channels: 1, rotateDeg: 0, scale: 0, translate: 0, contrast: 0, brightness: 0 });
  const same = zero(sample, new Rng(1));
  assert.deepEqual(Array.from(same.mask!), Array.from(mask));
  assert.deepEqual(Array.from(same.image), Array.from(image));
  const aug = segAugmentation({ height: h, width: w, channels: 1, rotateDeg: 20, scale: 0.2, translate: 0.1, flipCols: true, contrast: 0, brightness: 0 });
  for (let seed = 0; seed < 5; seed++) {
    const out = aug(sample, new Rng(seed));
    assert.equal(out.group, 4);
    assert.ok(out.mask!.every((v) => v === 0 || v === 1 || v === 2));
    // Where the image was not interpolated across a boundary, it still says the mask's class.
    let agree = 0;
    out.mask!.forEach((m, i) => (agree += Math.abs(out.image[i]! - m * 10) < 1e-3 ? 1 : 0));
    assert.ok(agree > 0.6 * h * w, `image and mask moved together (${agree} of ${h * w} pixels agree)`);
  }
});

test('a predicted NIfTI mask keeps the input header: grid, affine; uint8 label voxels', () => {
  const dir = tmp();
  const affine = [[0, -1.5, 0, 12], [1, 0, 0, -3], [0, 0, 2, 7]];
  const img = join(dir, 'img.nii.gz');
  writeFileSync(img, gzipSync(niftiBytes([5, 4, 3], Float32Array.from({ length: 60 }, (_, i) => i * 0.1), { affine })));
  const labels = Int32Array.from({ length: 60 }, (_, i) => i % 3);
  writeNiftiMask(join(dir, 'out.nii.gz'), img, labels);
  const back = decodeNifti(readFileSync(join(dir, 'out.nii.gz')), 'out');
  assert.deepEqual(back.dims.slice(0, 3), [5, 4, 3]);
  assert.equal(back.datatype, 'uint8');
  assert.deepEqual(back.affine, decodeNifti(readFileSync(img), 'img').affine);
  assert.deepEqual(Array.from(back.data), Array.from(labels));
});

test('cases split by case: a seeded held-back fraction, or a test list of names; PNG 0/255 masks read as class 1', async () => {
  const names = Array.from({ length: 20 }, (_, i) => `c${i}`);
  const a = splitNames(names, { testFraction: 0.2, valFraction: 0.25, splitSeed: 7 });
  assert.deepEqual([a.test.length, a.val.length, a.train.length], [4, 4, 12]);
  assert.deepEqual(splitNames(names, { testFraction: 0.2, valFraction: 0.25, splitSeed: 7 }), a, 'the seed fixes the split');
  assert.equal(new Set([...a.test, ...a.val, ...a.train]).size, 20);
  const dir = tmp();
  await writePngFolder(dir, 6, 16);
  writeFileSync(join(dir, 'test.txt'), './x/images/img_001.png\n./x/images/img_004.png\n');
  const s = await openSegmentation(dir, { numClasses: 2, binaryThreshold: 127 }, { testList: join(dir, 'test.txt'), testFraction: 0, valFraction: 0.25, splitSeed: 1 });
  assert.deepEqual(s.test.map((c) => c.name), ['img_001', 'img_004']);
  assert.ok(s.test[0]!.mask.every((v) => v === 0 || v === 1) && s.test[0]!.mask.some((v) => v === 1));
  await assert.rejects(openSegmentation(dir, { numClasses: 2 }, { testFraction: 0.2, valFraction: 0.2, splitSeed: 1 }), /label value 255 .* expected an integer class 0\.\.1/);
});
