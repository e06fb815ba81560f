import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../../src/engine/backend.js';
import { buildModel } from '../../src/models/build.js';
import { loadModel, saveModel } from '../../src/models/io.js';
import type { ModelSpec } from '../../src/models/spec.js';
import { initWeights } from '../../src/training/init.js';
import { TrainConfigSchema } from '../../src/site/train-config.js';

const spec: ModelSpec = { arch: 'small-cnn', inputShape: [16, 16, 3], numClasses: 4, norm: 'none', depth: 3, width: 4, head: 'gap' };

test("small CNN head 'gap': logits are the dense layers applied to the channel means of the last block", async () => {
  await initBackend('wasm');
  const model = buildModel(spec);
  initWeights(model, 7);
  const x = tf.tensor4d(Float32Array.from({ length: 2 * 16 * 16 * 3 }, (_, i) => Math.sin(i * 0.31)), [2, 16, 16, 3]);
  const features = tfl.model({ inputs: model.inputs, outputs: model.getLayer('block3_pool').output as tfl.SymbolicTensor });
  const pooled = tf.mean(features.predict(x) as tf.Tensor4D, [1, 2]);
  const hidden = model.getLayer('fc').apply(pooled) as tf.Tensor;
  const expected = (model.getLayer('logits').apply(hidden) as tf.Tensor).arraySync() as number[][];
  const got = (model.predict(x) as tf.Tensor).arraySync() as number[][];
  for (const [r, row] of got.entries()) for (const [k, v] of row.entries()) assert.ok(Math.abs(v - expected[r]![k]!) < 1e-5, `logit ${r},${k}: ${v} vs ${expected[r]![k]}`);
  // The dense layer sees the 8 channel means (blocks 4/8/8), not the 2x2x8 map.
  assert.deepEqual((model.getLayer('fc').getWeights()[0]!).shape, [8, 64]);
  assert.deepEqual((buildModel({ ...spec, head: 'flatten' }).getLayer('fc').getWeights()[0]!).shape, [2 * 2 * 8, 64]);
});

test("small CNN head 'gap' survives saving and loading (the spec is stored with the model)", async () => {
  await initBackend('wasm');
  const dir = mkdtempSync(join(tmpdir(), 'privmed-gap-'));
  try {
    const model = buildModel(spec);
    initWeights(model, 1);
    await saveModel(dir, model, { spec, classes: ['a', 'b', 'c', 'd'], normalisation: { mean: [0], std: [1] } });
    const loaded = await loadModel(dir);
    assert.equal(loaded.meta.spec.head, 'gap');
    assert.ok(loaded.model.layers.some((l) => l.name === 'gap'));
    const x = tf.randomUniform([1, 16, 16, 3], 0, 1, 'float32', 3);
    const a = (model.predict(x) as tf.Tensor).dataSync();
    const b = (loaded.model.predict(x) as tf.Tensor).dataSync();
    assert.deepEqual(Array.from(b), Array.from(a));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('model.head is read from a training config and refuses unknown heads', () => {
  assert.equal(TrainConfigSchema.parse({ model: { arch: 'small-cnn', head: 'gap' } }).model.head, 'gap');
  assert.equal(TrainConfigSchema.safeParse({ model: { arch: 'small-cnn', head: 'max' } }).success, false);
});
