import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { maxNpzBytes, parseNpz } from '../../src/data/npz.js';
import { parseNpy } from '../../src/data/npy.js';
import { loadMedMnist } from '../../src/data/medmnist.js';
import { FileFormatError } from '../../src/common/errors.js';
import { makeMedMnistNpz, makeNpy, makeZip } from '../fixtures/npz-writer.js';
import { needData } from '../helpers/data.js';

test('npy v1 and v2 headers, several dtypes', () => {
  const f = parseNpy(makeNpy('<f4', [2, 3], Float32Array.from([1, 2, 3, 4, 5, 6.5])), 'a.npy');
  assert.deepEqual(f.shape, [2, 3]);
  assert.equal(f.data[5], 6.5);
  const u = parseNpy(makeNpy('<u2', [3], Uint16Array.from([1, 65535, 7]), 2), 'b.npy');
  assert.deepEqual([...u.data], [1, 65535, 7]);
  assert.throws(() => parseNpy(makeNpy('<c8', [1], new Float32Array(2)), 'c.npy'), /unsupported dtype '<c8'/);
});

test('npz with stored and deflated members', () => {
  for (const deflate of [true, false]) {
    const z = makeZip({ 'x.npy': makeNpy('|u1', [4], Uint8Array.from([1, 2, 3, 4])) }, deflate);
    assert.deepEqual([...parseNpz(z, 'x.npz').get('x')!.data], [1, 2, 3, 4]);
  }
});

test('a truncated or corrupt npz gives an error naming the file and the reason', () => {
  const z = makeMedMnistNpz(4, 5);
  for (const cut of [10, 100, Math.floor(z.length / 2), z.length - 5]) {
    assert.throws(() => parseNpz(z.subarray(0, cut), 'cut.npz'), (e: unknown) => e instanceof FileFormatError && /^cut\.npz/.test(e.message));
  }
  const flipped = z.slice();
  flipped[60] ^= 0xff;
  assert.throws(() => parseNpz(flipped, 'flip.npz'), (e: unknown) => e instanceof FileFormatError && /flip\.npz/.test(e.message));
});

test('MedMNIST loader scales to [0,1] and keeps labels', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'privmed-'));
  const file = join(dir, 'pneumoniamnist.npz');
  writeFileSync(file, makeMedMnistNpz(6, 4));
  const m = await loadMedMnist(file);
  assert.equal(m.splits.train.length, 6);
  assert.deepEqual(m.splits.train.info, { height: 4, width: 4, channels: 1, classes: ['normal', 'pneumonia'] });
  const s = await m.splits.test.get(1);
  assert.equal(s.label, 1);
  assert.ok(Math.abs(s.image[0]! - 200 / 255) < 1e-6);
  await assert.rejects(loadMedMnist(join(dir, 'missing.npz')), /missing\.npz: file not found/);
});

test('real PneumoniaMNIST: official split sizes and class counts', async (t) => {
  const file = needData(t, 'pneumoniamnist/pneumoniamnist.npz');
  if (!file) return;
  const m = await loadMedMnist(file);
  assert.equal(m.splits.train.length, 4708);
  assert.equal(m.splits.val.length, 524);
  assert.equal(m.splits.test.length, 624);
  const count = (ds: typeof m.splits.train, c: number) => { let k = 0; for (let i = 0; i < ds.length; i++) if (ds.label(i) === c) k++; return k; };
  assert.equal(count(m.splits.train, 0), 1214);
  assert.equal(count(m.splits.test, 1), 390);
  assert.deepEqual(m.splits.train.info, { height: 28, width: 28, channels: 1, classes: ['normal', 'pneumonia'] });
});

test('a MedMNIST file with 200k labels loads (TissueMNIST size: no spread into Math.max)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'privmed-big-labels-'));
  const file = join(dir, 'big.npz');
  writeFileSync(file, makeMedMnistNpz(200_000, 1));
  const m = await loadMedMnist(file);
  assert.equal(m.splits.train.length, 200_000);
  assert.deepEqual(m.splits.train.info.classes, ['0', '1']);
});

test('a zip bomb is refused from its declared sizes before anything is inflated', () => {
  // 64 MiB of zeros deflate to about 64 KiB: a small bomb, against a limit of 1 MiB.
  const bomb = makeZip({ 'x.npy': makeNpy('|u1', [64 * 2 ** 20], new Uint8Array(64 * 2 ** 20)) }, true);
  assert.ok(bomb.length < 2 ** 20);
  assert.throws(() => parseNpz(bomb, 'bomb.npz', 2 ** 20), (e: unknown) => e instanceof FileFormatError && /^bomb\.npz: its arrays would take 0\.06 GiB in memory, over the limit of 0\.00 GiB/.test(e.message));
  assert.equal(parseNpz(bomb, 'bomb.npz', 2 ** 27).get('x')!.data.length, 64 * 2 ** 20);
  assert.equal(maxNpzBytes({}), 4 * 2 ** 30);
  assert.equal(maxNpzBytes({ PRIVMED_MAX_NPZ_BYTES: '1000' }), 1000);
  assert.throws(() => maxNpzBytes({ PRIVMED_MAX_NPZ_BYTES: 'lots' }), /PRIVMED_MAX_NPZ_BYTES: expected a positive whole number of bytes, got 'lots'/);
});
