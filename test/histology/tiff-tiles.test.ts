import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { openImageFolder } from '../../src/data/images/folder-dataset.js';
import { readImage } from '../../src/data/images/read-image.js';
import { openDataset } from '../../src/data/resolve.js';
import { classCounts } from '../../src/data/dataset.js';
import { needData } from '../helpers/data.js';

const SIZE = 24;

/** A tile whose every pixel is known: R = x * 10, G = y * 10, B = class marker. */
function tilePixels(marker: number): Buffer {
  const buf = Buffer.alloc(SIZE * SIZE * 3);
  for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) buf.set([x * 10, y * 10, marker], (y * SIZE + x) * 3);
  return buf;
}

const COMPRESSIONS = ['packbits', 'lzw', 'deflate', 'none'] as const;

async function writeTiff(path: string, pixels: Buffer, compression: (typeof COMPRESSIONS)[number]): Promise<void> {
  await sharp(pixels, { raw: { width: SIZE, height: SIZE, channels: 3 } }).tiff({ compression }).toFile(path);
}

test('RGB TIFF tiles (PackBits, LZW, deflate, uncompressed) decode to their exact pixels', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'privmed-tiff-'));
  try {
    const pixels = tilePixels(200);
    for (const compression of COMPRESSIONS) {
      const path = join(dir, `${compression}.tif`);
      await writeTiff(path, pixels, compression);
      const img = await readImage(path);
      assert.equal(img.meta.format, 'tiff', compression);
      assert.deepEqual([img.rows, img.cols, img.channels], [SIZE, SIZE, 3], compression);
      for (let i = 0; i < pixels.length; i++) {
        if (Math.abs(img.data[i]! - pixels[i]! / 255) > 1e-6) assert.fail(`${compression}: value ${i} is ${img.data[i]! * 255}, expected ${pixels[i]}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a folder of TIFF tiles is a 3-channel dataset, resized on request, one label per class folder', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'privmed-tiff-folder-'));
  try {
    for (const [label, cls] of ['a_tumour', 'b_stroma'].entries()) {
      mkdirSync(join(dir, cls));
      for (const compression of COMPRESSIONS) await writeTiff(join(dir, cls, `${compression}.tiff`), tilePixels(50 + 100 * label), compression);
    }
    const full = await openImageFolder(dir, { height: SIZE, width: SIZE, channels: 3 });
    assert.deepEqual(full.info.classes, ['a_tumour', 'b_stroma']);
    assert.equal(full.length, 8);
    assert.deepEqual(full.skipped, []);
    const s = await full.get(7);
    assert.equal(s.label, 1);
    assert.equal(Math.round(s.image[2]! * 255), 150); // the class marker in blue
    const small = await openImageFolder(dir, { height: 12, width: 12, channels: 3, resize: 'linear' });
    const r = await small.get(0);
    assert.equal(r.image.length, 12 * 12 * 3);
    // Halving averages pixel pairs: red of output column 0 is the mean of x = 0 and 1 (0 and 10) / 255, up to the filter's edge weights.
    assert.ok(Math.abs(r.image[0]! * 255 - 5) < 3, `red ${r.image[0]! * 255}`);
    assert.ok(Math.abs(r.image[2]! * 255 - 50) < 1e-3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Kather 2016 opens as 8 classes of 150x150 RGB tiles: 960 training (a tenth held out for validation), 496 test', async (t) => {
  const path = needData(t, 'kather2016/train');
  if (!path) return;
  const data = await openDataset({ dataset: 'kather2016' });
  const { train, val, test: testSet } = data.splits;
  assert.deepEqual(train.info.classes, ['01_TUMOR', '02_STROMA', '03_COMPLEX', '04_LYMPHO', '05_DEBRIS', '06_MUCOSA', '07_ADIPOSE', '08_EMPTY']);
  assert.deepEqual([train.info.height, train.info.width, train.info.channels], [150, 150, 3]);
  assert.equal(train.length + val.length, 960);
  assert.deepEqual(classCounts(val), new Array(8).fill(12));
  assert.deepEqual(classCounts(testSet), new Array(8).fill(62));
  const s = await testSet.get(0);
  assert.equal(s.image.length, 150 * 150 * 3);
  const resized = await openDataset({ dataset: 'kather2016', size: 64 });
  assert.equal((await resized.splits.test.get(495)).image.length, 64 * 64 * 3);
  assert.equal(resized.splits.test.label(495), 7);
});
