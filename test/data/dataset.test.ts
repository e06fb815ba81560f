import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ArrayDataset, batches, SubsetDataset, classCounts, type Dataset } from '../../src/data/dataset.js';

const info = { height: 2, width: 2, channels: 1, classes: ['a', 'b'] };
function tiny(n: number): ArrayDataset {
  const img = new Float32Array(n * 4);
  for (let i = 0; i < n; i++) img.fill(i, i * 4, i * 4 + 4);
  return new ArrayDataset(info, img, Int32Array.from({ length: n }, (_, i) => i % 2));
}

test('batches visit every item once, seeded shuffle is reproducible', async () => {
  const ds = tiny(10);
  const seen: number[] = [];
  for await (const b of batches(ds, { batchSize: 3, shuffle: true, seed: 7 })) seen.push(...b.indices);
  assert.deepEqual([...seen].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const again: number[] = [];
  for await (const b of batches(ds, { batchSize: 3, shuffle: true, seed: 7 })) again.push(...b.indices);
  assert.deepEqual(again, seen);
  assert.notDeepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test('batch pixels match labels and skip resumes mid-epoch', async () => {
  const ds = tiny(5);
  const all = [];
  for await (const b of batches(ds, { batchSize: 2, skip: 2 })) all.push(b);
  assert.equal(all.length, 2);
  assert.deepEqual([...all[0]!.indices], [2, 3]);
  assert.equal(all[0]!.x[4], 3);
  assert.deepEqual([...all[1]!.y], [0]);
});

test('an unreadable item is skipped and reported unless strict', async () => {
  const ds = tiny(4);
  const broken: Dataset = {
    info, length: 4, label: (i) => ds.label(i),
    get: async (i) => { if (i === 1) throw new Error('bad file'); return ds.get(i); },
  };
  const skipped: number[] = [];
  let n = 0;
  for await (const b of batches(broken, { batchSize: 4, onSkip: (i) => skipped.push(i) })) n += b.size;
  assert.equal(n, 3);
  assert.deepEqual(skipped, [1]);
  await assert.rejects(async () => { for await (const _ of batches(broken, { batchSize: 4, strict: true })) void _; }, /bad file/);
});

test('subset and class counts', () => {
  const ds = new SubsetDataset(tiny(6), [0, 2, 4, 5]);
  assert.equal(ds.length, 4);
  assert.deepEqual(classCounts(ds), [3, 1]);
});
