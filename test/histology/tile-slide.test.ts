import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { Rng } from '../../src/common/rng.js';
import { openImageFolder } from '../../src/data/images/folder-dataset.js';
import { otsuThreshold } from '../../src/data/tiling/otsu.js';
import { tileSlide, type TileProgress } from '../../src/data/tiling/tile-slide.js';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
const W = 1536;
const H = 1024;

/** Tissue (saturated pink texture) where x < 1024, and a 256 x 256 island at (1280, 256); near-white glass elsewhere. */
function isTissue(x: number, y: number): boolean {
  return x < 1024 || (x >= 1280 && y >= 256 && y < 512);
}

function slidePixels(): Buffer {
  const rng = new Rng(5);
  const buf = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const px = isTissue(x, y) ? [200 + rng.int(40) - 20, 110 + rng.int(60) - 30, 170 + rng.int(40) - 20] : [238 + rng.int(8), 238 + rng.int(8), 238 + rng.int(8)];
      buf.set(px, (y * W + x) * 3);
    }
  }
  return buf;
}

test("Otsu's threshold separates two clusters", () => {
  const h = new Float64Array(256);
  h[10] = 100;
  h[12] = 50;
  h[200] = 80;
  const t = otsuThreshold(h);
  assert.ok(t >= 12 && t < 200, `threshold ${t}`);
});

test('a large pyramidal BigTIFF is cut into tissue tiles by region; glass is skipped and counted; a rerun resumes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'privmed-tile-'));
  try {
    const pixels = slidePixels();
    const slide = join(dir, 'slide-7.tif');
    await sharp(pixels, { raw: { width: W, height: H, channels: 3 } })
      .tiff({ tile: true, tileWidth: 256, tileHeight: 256, pyramid: true, compression: 'lzw', bigtiff: true })
      .toFile(slide);
    const out = join(dir, 'dataset');
    const seen: TileProgress[] = [];
    const r = await tileSlide(slide, out, { size: 128, label: 'tumour', onProgress: (p) => seen.push(p) });
    // 12 x 8 tiles: 8 columns of tissue (64) and the island's 4; the other 28 are glass.
    assert.deepEqual([r.width, r.height, r.total, r.written, r.background, r.existing], [W, H, 96, 68, 28, 0]);
    assert.equal(seen.length, 96);
    assert.deepEqual(seen.at(-1), { done: 96, total: 96, written: 68, existing: 0, background: 28 });
    const files = readdirSync(join(out, 'tumour')).sort();
    assert.equal(files.length, 68);
    assert.ok(files.includes('slide-7_L0_x1280_y256.png') && !files.includes('slide-7_L0_x1280_y0.png'));
    // A tile is exactly its region of the slide.
    const { data } = await sharp(join(out, 'tumour', 'slide-7_L0_x1280_y384.png')).raw().toBuffer({ resolveWithObject: true });
    for (let y = 0; y < 128; y++) {
      const row = pixels.subarray(((384 + y) * W + 1280) * 3, ((384 + y) * W + 1280 + 128) * 3);
      assert.ok(row.equals(data.subarray(y * 128 * 3, (y + 1) * 128 * 3)), `row ${y}`);
    }
    // Resumable: nothing is redone; a lost tile is the only one written again.
    const again = await tileSlide(slide, out, { size: 128, label: 'tumour' });
    assert.deepEqual([again.written, again.existing, again.background], [0, 68, 28]);
    unlinkSync(join(out, 'tumour', files[5]!));
    const third = await tileSlide(slide, out, { size: 128, label: 'tumour' });
    assert.deepEqual([third.written, third.existing], [1, 67]);
    // The output is a folder dataset.
    const ds = await openImageFolder(out, { height: 128, width: 128, channels: 3 });
    assert.deepEqual([ds.info.classes, ds.length], [['tumour'], 68]);
    // Level 1 (half resolution) through the CLI: 6 x 4 tiles, 4 columns of tissue and the island's one.
    const cli = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'data', 'tile', slide, join(dir, 'level1'), '--size', '128', '--level', '1', '--json'], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(cli.status, 0, cli.stderr);
    const j = JSON.parse(cli.stdout.trim()) as { written: number; background: number; width: number };
    assert.deepEqual([j.width, j.written, j.background], [768, 17, 7]);
    assert.equal(readdirSync(join(dir, 'level1', 'slide-7')).length, 17);
    await assert.rejects(tileSlide(slide, out, { size: 128, level: 9 }), /level 9 requested, the file has \d+/);
    await assert.rejects(tileSlide(join(dir, 'missing.tif'), out, { size: 128 }), /missing\.tif/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
