import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../../src/engine/backend.js';
import { SliceDataset, windowStarts } from '../../src/data/segmentation/slice-dataset.js';
import type { SegCase } from '../../src/data/segmentation/seg-cases.js';
import { evaluateSegmentation, predictCases } from '../../src/training/segmentation-task.js';
import { Rng } from '../../src/common/rng.js';
import { TransformedDataset } from '../../src/data/dataset.js';

before(async () => {
  await initBackend('wasm');
});

/** A case whose image is its label map (class c has intensity c), so a fixed 1x1 convolution segments it exactly. */
function labelCase(name: string, depth: number, height: number, width: number, seed: number): SegCase {
  const rng = new Rng(seed);
  const mask = Int32Array.from({ length: depth * height * width }, () => (rng.next() < 0.6 ? 0 : 1 + rng.int(2)));
  return { name, imagePath: `${name}.nii`, labelPath: `${name}.nii`, format: 'nifti', depth, height, width, image: Float32Array.from(mask), mask };
}

/** logits_c = w_c x + b_c with argmax c at x = c for c = 0, 1, 2. */
function classOfIntensity(patch: number): tfl.LayersModel {
  const m = tfl.sequential({ layers: [tfl.layers.conv2d({ inputShape: [patch, patch, 1], filters: 3, kernelSize: 1 })] });
  m.setWeights([tf.tensor4d([0, 10, 20], [1, 1, 1, 3]), tf.tensor1d([0, -5, -20])]);
  return m;
}

test('window origins: one centred window when the side fits, overlapping windows flush with the end when it does not', () => {
  assert.deepEqual(windowStarts(5, 8), [-1]);
  assert.deepEqual(windowStarts(8, 8), [0]);
  assert.deepEqual(windowStarts(13, 8), [0, 4, 5]);
  assert.deepEqual(windowStarts(10, 8), [0, 2]);
  assert.deepEqual(windowStarts(20, 8, 0), [0, 8, 12]);
});

test('sliding-window inference stitches windows back onto each case grid: slices larger and smaller than the patch come back exact', async () => {
  const cases = [labelCase('big', 3, 10, 13, 1), labelCase('small', 2, 5, 6, 2), labelCase('wide', 1, 7, 19, 3)];
  const ds = new SliceDataset(cases, { mode: 'all', patch: [8, 8], classes: ['bg', 'a', 'b'] });
  // big: 2 x 3 windows per slice, small: 1, wide: 1 x 4.
  assert.equal(ds.length, 3 * 6 + 2 * 1 + 1 * 4);
  assert.deepEqual(ds.window(1), { ci: 0, s: 0, y0: 0, x0: 4 });
  const model = classOfIntensity(8);
  const seen: number[] = [];
  for await (const { ci, pred } of predictCases(model, ds, { numClasses: 3, batchSize: 5 })) {
    seen.push(ci);
    assert.deepEqual(Array.from(pred), Array.from(cases[ci]!.mask), `case ${cases[ci]!.name}`);
  }
  assert.deepEqual(seen, [0, 1, 2]);
  const m = await evaluateSegmentation(model, ds, { numClasses: 3, hd95: true });
  assert.deepEqual(m.dice, [1, 1]);
  assert.deepEqual(m.hd95, [0, 0]);
  assert.equal(m.n, 3);
  // The training core scores a transformed view of the validation set: the same windows, found through it.
  const view = await evaluateSegmentation(model, new TransformedDataset(ds, (x) => x, 0), { numClasses: 3 });
  assert.deepEqual(view.dice, [1, 1]);
  model.dispose();
});

test('training draws from a slice larger than the patch: windows inside the slice, and foreground draws hold the structure', async () => {
  const c = labelCase('big', 4, 24, 30, 4);
  // Foreground in one small spot of slice 2 only.
  c.mask.fill(0);
  c.mask[2 * 720 + 20 * 30 + 25] = 2;
  c.image.set(c.mask);
  const ds = new SliceDataset([c], { mode: 'sample', patch: [8, 8], classes: ['bg', 'a', 'b'], foreground: 1, seed: 9 });
  for (let i = 0; i < 20; i++) {
    const s = await ds.get(0);
    assert.equal(s.image.length, 64);
    assert.equal(s.mask!.filter((v) => v === 2).length, 1, 'the one foreground pixel is in the window');
  }
});
