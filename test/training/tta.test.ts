/**
 * Dihedral test-time augmentation: the probabilities are the mean of the
 * plain predictions on the 8 flipped and turned copies (made here by index
 * arithmetic), the loss is their cross-entropy, and a non-square input is refused.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { ArrayDataset } from '../../src/data/dataset.js';
import { buildModel } from '../../src/models/build.js';
import { initWeights } from '../../src/training/init.js';
import { predict } from '../../src/training/evaluate.js';
import { Rng } from '../../src/common/rng.js';

const S = 8;
const C = 3;

/** Pixel (y, x) of view v: v & 4 transposes, v & 1 flips rows, v & 2 flips columns (in that order of the source). */
function view(img: Float32Array, v: number): Float32Array {
  const out = new Float32Array(img.length);
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      let sy = v & 1 ? S - 1 - y : y;
      let sx = v & 2 ? S - 1 - x : x;
      if (v & 4) [sy, sx] = [sx, sy];
      for (let c = 0; c < C; c++) out[(y * S + x) * C + c] = img[(sy * S + sx) * C + c]!;
    }
  }
  return out;
}

describe('test-time augmentation (dihedral)', () => {
  it('averages the plain probabilities over the 8 flips and quarter turns', async () => {
    await tf.setBackend('cpu');
    const model = buildModel({ arch: 'small-cnn', inputShape: [S, S, C], numClasses: 4, norm: 'none', depth: 2, width: 4 });
    initWeights(model, 3);
    const rng = new Rng(11);
    const n = 5;
    const images = Float32Array.from({ length: n * S * S * C }, () => rng.normal());
    const labels = Int32Array.from({ length: n }, (_, i) => i % 4);
    const info = { height: S, width: S, channels: C, classes: ['a', 'b', 'c', 'd'] };
    const ds = new ArrayDataset(info, images, labels, 'x');
    const tta = await predict(model, ds, 2, 'dihedral');
    const plain = await predict(model, ds, 2);
    const mean = new Float64Array(n * 4);
    for (let v = 0; v < 8; v++) {
      const px = S * S * C;
      const turned = new Float32Array(images.length);
      for (let i = 0; i < n; i++) turned.set(view(images.subarray(i * px, (i + 1) * px), v), i * px);
      const p = await predict(model, new ArrayDataset(info, turned, labels, 'v'), 2);
      p.probs.forEach((q, j) => (mean[j]! += q / 8));
    }
    tta.probs.forEach((q, j) => assert.ok(Math.abs(q - mean[j]!) < 1e-5, `probability ${j}: ${q} vs ${mean[j]}`));
    assert.ok(tta.probs.some((q, j) => Math.abs(q - plain.probs[j]!) > 1e-4), 'an untrained net is not rotation invariant: TTA changes the output');
    const nll = Array.from(labels, (y, i) => -Math.log(mean[i * 4 + y]!)).reduce((a, b) => a + b) / n;
    assert.ok(Math.abs(tta.loss - nll) < 1e-4, `loss ${tta.loss} vs ${nll}`);
    model.dispose();
  });

  it('refuses non-square images', async () => {
    await tf.setBackend('cpu');
    const model = buildModel({ arch: 'small-cnn', inputShape: [8, 12, 1], numClasses: 2, norm: 'none', depth: 1, width: 2 });
    const ds = new ArrayDataset({ height: 8, width: 12, channels: 1, classes: ['a', 'b'] }, new Float32Array(96), new Int32Array(1), 'x');
    await assert.rejects(predict(model, ds, 1, 'dihedral'), /needs square images, got 8x12/);
    model.dispose();
  });
});
