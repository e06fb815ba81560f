import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend.js';
import { buildModel } from '../../src/models/build.js';
import { loadModel, saveModel } from '../../src/models/io.js';
import { morletBank, scattering2d, scatteringChannels } from '../../src/models/scattering.js';
import type { ModelSpec } from '../../src/models/spec.js';
import { initWeights } from '../../src/training/init.js';

before(async () => {
  await initBackend('cpu');
});

const SHAPE = { scales: 2, angles: 8 };

test('81 channels at a quarter of the size; the wavelets have zero mean, so a flat image has only its zeroth order', () => {
  assert.equal(scatteringChannels(SHAPE), 81);
  for (const j of [0, 1]) {
    const { size, values } = morletBank(j, 8);
    for (let c = 0; c < 16; c++) {
      let sum = 0;
      for (let k = 0; k < size * size; k++) sum += values[k * 16 + c]!;
      assert.ok(Math.abs(sum) < 1e-6, `scale ${j} channel ${c}: sum ${sum}`);
    }
  }
  const s = scattering2d(tf.fill([1, 28, 28, 1], 0.7) as tf.Tensor4D, SHAPE);
  assert.deepEqual(s.shape, [1, 7, 7, 81]);
  const v = s.dataSync();
  for (let p = 0; p < 49; p++) {
    assert.ok(Math.abs(v[p * 81]! - 0.7) < 1e-5, 'zeroth order: the local mean');
    for (let c = 1; c < 81; c++) assert.ok(v[p * 81 + c]! < 1e-4, `channel ${c} of a flat image: ${v[p * 81 + c]}`);
  }
  s.dispose();
});

test('orientation: stripes turned by 90 degrees move the strongest first-order angle by L/2', () => {
  // Stripes of period 8 px (near scale 0's frequency, 3pi/4 rad/px ~ period 2.7 ... scale 1: period 5.3).
  const stripes = (vertical: boolean) =>
    tf.tensor4d(Array.from({ length: 28 * 28 }, (_, k) => Math.cos((2 * Math.PI * (vertical ? k % 28 : Math.floor(k / 28))) / 5.3)), [1, 28, 28, 1]);
  const strongest = (img: tf.Tensor4D) => {
    const s = scattering2d(img, SHAPE);
    const v = s.dataSync();
    s.dispose();
    // First order of scale 1: channels 9..16, at the centre position.
    const centre = (3 * 7 + 3) * 81;
    const energies = Array.from({ length: 8 }, (_, l) => v[centre + 9 + l]!);
    return energies.indexOf(Math.max(...energies));
  };
  const a = strongest(stripes(true));
  const b = strongest(stripes(false));
  assert.equal((a - b + 8) % 8, 4, `angles ${a} and ${b}`);
});

test('scatter-cnn: builds with no scattering weights, predicts, and saves and loads to the same outputs', async () => {
  const spec: ModelSpec = { arch: 'scatter-cnn', inputShape: [28, 28, 1], numClasses: 2, norm: 'group' };
  const model = buildModel(spec);
  initWeights(model, 4);
  assert.ok(!model.weights.some((w) => w.name.includes('scattering/')), 'the transform holds no weights');
  const x = tf.randomUniform([3, 28, 28, 1], 0, 1, 'float32', 7);
  const y = model.predict(x) as tf.Tensor;
  assert.deepEqual(y.shape, [3, 2]);
  const dir = join(mkdtempSync(join(tmpdir(), 'privmed-scatter-')), 'model');
  await saveModel(dir, model, { spec, classes: ['a', 'b'], normalisation: { mean: [0.5], std: [0.25] } });
  const loaded = await loadModel(dir);
  const y2 = loaded.model.predict(x) as tf.Tensor;
  const diff = tf.max(tf.abs(tf.sub(y, y2))).dataSync()[0]!;
  assert.ok(diff < 1e-5, `loaded model differs by ${diff}`);
  assert.throws(() => buildModel({ ...spec, inputShape: [12, 12, 1] }), /scatter-cnn needs inputs of at least 16x16/);
  for (const t of [x, y, y2]) t.dispose();
  model.dispose();
  loaded.model.dispose();
});
