import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../../src/engine/backend.js';
import { validateForDp } from '../../src/dp/validators/validate-model.js';
import { convertBatchNorm } from '../../src/dp/validators/convert-batch-norm.js';
import { GroupNormalization, defaultGroups } from '../../src/models/group-norm.js';
import { loadModel, saveModel } from '../../src/models/io.js';
import { PrivmedError } from '../../src/common/errors.js';
import { smallCnn, tinyResNet } from './models.js';

before(async () => {
  await initBackend('wasm');
});

test('BatchNorm is refused for DP with the fix in the message', () => {
  const model = tinyResNet('batch');
  assert.throws(
    () => validateForDp(model),
    (e: unknown) =>
      e instanceof PrivmedError &&
      e.message.startsWith("model uses BatchNorm (layer 'stem_norm'") &&
      /mixes samples and breaks per-sample privacy; use norm: group, or convertBatchNorm\(model, 'group'\)/.test(e.message),
  );
  validateForDp(tinyResNet('group'));
  validateForDp(smallCnn('none'));
  model.dispose();
});

function weightsByName(model: tfl.LayersModel): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const layer of model.layers) layer.weights.forEach((w, i) => out.set(w.originalName, layer.getWeights()[i]!.dataSync() as Float32Array));
  return out;
}

test("convertBatchNorm(model, 'group') puts GroupNorm(min(32, C)) in BatchNorm's place and keeps every other weight", async () => {
  const original = tinyResNet('batch');
  // Make BatchNorm's affine part recognisable.
  const bn = original.getLayer('res_a_norm');
  bn.setWeights(bn.getWeights().map((w, i) => (i < 2 ? tf.fill(w.shape, i + 0.25) : w)));
  const converted = convertBatchNorm(original, 'group');
  validateForDp(converted);
  const norm = converted.getLayer('res_a_norm');
  assert.ok(norm instanceof GroupNormalization);
  assert.equal(norm.groups, defaultGroups(8));
  const before = weightsByName(original);
  const after = weightsByName(converted);
  for (const [name, values] of after) {
    if (/_norm\//.test(name)) continue;
    assert.deepEqual(values, before.get(name), `${name} changed`);
  }
  assert.deepEqual([...after.get('res_a_norm/gamma')!], new Array(8).fill(0.25), 'scale carried over');
  assert.deepEqual([...after.get('res_a_norm/beta')!], new Array(8).fill(1.25), 'offset carried over');
  assert.ok(![...after.keys()].some((n) => /moving/.test(n)), 'running statistics dropped');
  // The converted model is an ordinary privmed model: it saves and loads.
  const dir = mkdtempSync(join(tmpdir(), 'privmed-surgery-'));
  await saveModel(dir, converted, { spec: { arch: 'small-cnn', inputShape: [10, 10, 2], numClasses: 3, norm: 'group' }, classes: ['a', 'b', 'c'], normalisation: { mean: [0], std: [1] } });
  const { model: loaded } = await loadModel(dir);
  const x = tf.randomNormal([2, 10, 10, 2]);
  const diff = tf.max(tf.abs(tf.sub(converted.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor))).dataSync()[0]!;
  assert.ok(diff < 1e-5);
  tf.dispose([x]);
  for (const m of [original, converted, loaded]) m.dispose();
});

test("convertBatchNorm to 'layer' and 'none': LayerNorm instead, or the layer removed and its consumers rewired", () => {
  const original = smallCnn('batch');
  const layerNorm = convertBatchNorm(original, 'layer');
  assert.deepEqual(
    layerNorm.layers.filter((l) => /norm/.test(l.name)).map((l) => l.getClassName()),
    ['LayerNormalization', 'LayerNormalization', 'LayerNormalization'],
  );
  const none = convertBatchNorm(original, 'none');
  validateForDp(none);
  assert.equal(none.layers.filter((l) => /norm/.test(l.name)).length, 0);
  assert.equal(none.layers.length, original.layers.length - 3);
  const before = weightsByName(original);
  for (const [name, values] of weightsByName(none)) assert.deepEqual(values, before.get(name));
  // Freshly initialised BatchNorm at inference is x / sqrt(1 + 1e-5): removing it leaves the same function.
  const x = tf.randomNormal([3, 8, 8, 1]);
  const a = (original.predict(x) as tf.Tensor).dataSync();
  const b = (none.predict(x) as tf.Tensor).dataSync();
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) <= 1e-4 * (1 + Math.abs(v)), `output ${i}: ${v} vs ${b[i]}`));
  x.dispose();
  for (const m of [original, layerNorm, none]) m.dispose();
});
