import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend.js';
import { buildModel } from '../../src/models/build.js';
import { initWeights } from '../../src/training/init.js';
import { segmentationLossPerSample, segmentationTask } from '../../src/training/segmentation-task.js';
import { perSampleGradients } from '../../src/dp/per-sample/per-sample.js';
import { ClippedSum, planClipping } from '../../src/dp/sgd/clipping.js';
import { standardGradientStep } from '../../src/training/core.js';
import { Rng } from '../../src/common/rng.js';
import type { Batch } from '../../src/data/dataset.js';

before(async () => {
  await initBackend('wasm');
});

const SPEC = { arch: 'unet', inputShape: [8, 8, 2], numClasses: 3, norm: 'group', depth: 2, width: 4 } as const;

function batch(size: number, seed: number): Batch {
  const rng = new Rng(seed);
  return {
    x: Float32Array.from({ length: size * 8 * 8 * 2 }, () => rng.normal()),
    y: new Int32Array(size),
    masks: Int32Array.from({ length: size * 64 }, () => rng.int(3)),
    groups: Int32Array.from({ length: size }, (_, i) => i),
    indices: Int32Array.from({ length: size }, (_, i) => i),
    size,
  };
}

test('the U-Net gives per-pixel logits; a wrong input size is refused with the multiple it needs', () => {
  const model = buildModel({ ...SPEC, inputShape: [8, 8, 2] });
  assert.deepEqual(model.outputs[0]!.shape, [null, 8, 8, 3]);
  model.dispose();
  assert.throws(() => buildModel({ ...SPEC, inputShape: [10, 8, 2] }), /multiples of 4, got 10x8/);
});

test('Dice+CE loss: near 0 for confident correct logits, each term in its range, batch loss = mean of per-sample', () => {
  const masks = tf.tensor2d([[0, 1, 2, 1], [2, 2, 0, 0]], [2, 4], 'int32');
  const perfect = tf.tidy(() => tf.reshape(tf.mul(tf.oneHot(tf.reshape(masks, [-1]) as tf.Tensor1D, 3), 30), [2, 2, 2, 3]));
  const ps = segmentationLossPerSample(3, 'dice+ce')(perfect, masks).arraySync();
  for (const v of ps) assert.ok(v >= 0 && v < 0.2, `perfect prediction loss ${v}`);
  const uniform = tf.zeros([2, 2, 2, 3]);
  const ce = segmentationLossPerSample(3, 'ce')(uniform, masks).arraySync();
  for (const v of ce) assert.ok(Math.abs(v - Math.log(3)) < 1e-5, 'uniform logits: CE = ln 3');
  const task = segmentationTask({ numClasses: 3 });
  const both = segmentationLossPerSample(3)(uniform, masks).arraySync();
  assert.ok(Math.abs(task.loss(uniform, masks).arraySync() - (both[0]! + both[1]!) / 2) < 1e-6);
  tf.dispose([masks, perfect, uniform]);
});

test('DP per-sample gradients through the U-Net (upsampling, concatenation): loop and vectorised agree and sum to the batch gradient', async () => {
  const model = buildModel({ ...SPEC, inputShape: [8, 8, 2] });
  initWeights(model, 3);
  const task = segmentationTask({ numClasses: 3 });
  const b = batch(3, 5);
  const sums = [];
  for (const method of ['loop', 'vectorised'] as const) {
    const ps = perSampleGradients(model, task.perSampleLoss, method, task.labels);
    // A clip norm no gradient reaches: the clipped sum is the plain sum.
    const sum = new ClippedSum(ps.variables.map((v) => v.size), planClipping({ kind: 'flat', norm: 1e9 }, ps.variables));
    await ps.accumulate(b, sum);
    sums.push(sum.flat());
  }
  const { grads } = await standardGradientStep(b, model, task.loss, task.labels);
  const ps = perSampleGradients(model, task.perSampleLoss, 'loop', task.labels);
  const batchGrad = ps.variables.flatMap((v) => Array.from(grads[v.name]!.dataSync(), (g) => g * b.size));
  tf.dispose(Object.values(grads));
  const err = (a: ArrayLike<number>, r: ArrayLike<number>) => {
    let num = 0;
    let den = 0;
    for (let i = 0; i < r.length; i++) {
      num += (a[i]! - r[i]!) ** 2;
      den += r[i]! ** 2;
    }
    return Math.sqrt(num / den);
  };
  assert.ok(err(sums[1]!, sums[0]!) < 1e-4, `vectorised vs loop ${err(sums[1]!, sums[0]!)}`);
  assert.ok(err(sums[0]!, batchGrad) < 1e-4, `per-sample sum vs batch gradient ${err(sums[0]!, batchGrad)}`);
  model.dispose();
});
