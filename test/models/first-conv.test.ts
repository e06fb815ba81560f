import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../../src/engine/backend.js';
import { buildModel } from '../../src/models/build.js';
import type { ModelSpec } from '../../src/models/spec.js';
import { initWeights } from '../../src/training/init.js';
import { standardGradientStep } from '../../src/training/core.js';
import { weightedCrossEntropy } from '../../src/training/loss.js';

const lossFn = (logits: tf.Tensor, labels: tf.Tensor) => weightedCrossEntropy(logits as tf.Tensor2D, labels as tf.Tensor1D, null);

for (const spec of [
  { arch: 'small-cnn', inputShape: [20, 20, 1], numClasses: 2, norm: 'none' },
  { arch: 'resnet18', inputShape: [32, 32, 1], numClasses: 3, norm: 'group' },
] as ModelSpec[]) {
  test(`${spec.arch}: the first conv skips the image gradient, gives the same weight gradients and outputs`, async () => {
    await initBackend('wasm');
    const model = buildModel(spec);
    initWeights(model, 3);
    // The same network as plain tfjs layers (no privmed override): a serialisation round trip.
    const plain = await tfl.models.modelFromJSON({ modelTopology: model.toJSON(null, false) as never });
    plain.setWeights(model.getWeights());
    const [h, w, c] = spec.inputShape;
    const n = 4;
    const x = Float32Array.from({ length: n * h * w * c }, (_, i) => Math.sin(i * 0.37));
    const y = Int32Array.from({ length: n }, (_, i) => i % spec.numClasses);
    const batch = { x, y, size: n, indices: new Int32Array(n) };

    const profile = await tf.profile(async () => tf.dispose((await standardGradientStep(batch, model, lossFn)).grads));
    const imageShape = JSON.stringify([[n, h, w, c]]);
    const imageGrads = profile.kernels.filter((k) => k.name === 'Conv2DBackpropInput' && JSON.stringify(k.outputShapes) === imageShape);
    assert.ok(profile.kernels.some((k) => k.name === 'Conv2DBackpropInput'), 'inner layers still get input gradients');
    assert.equal(imageGrads.length, 0, 'no gradient with respect to the image is computed');

    const ours = await standardGradientStep(batch, model, lossFn);
    const theirs = await standardGradientStep(batch, plain, lossFn);
    assert.ok(Math.abs(ours.loss - theirs.loss) <= 1e-6 * Math.max(1, Math.abs(theirs.loss)));
    for (const [i, v] of model.trainableWeights.entries()) {
      const a = ours.grads[v.originalName] ?? ours.grads[v.name]!;
      const b = theirs.grads[plain.trainableWeights[i]!.originalName] ?? theirs.grads[plain.trainableWeights[i]!.name]!;
      const scale = Math.max(1e-6, tf.max(tf.abs(b)).dataSync()[0]!);
      const diff = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!;
      assert.ok(diff <= 1e-5 * scale, `${v.name}: max difference ${diff} vs scale ${scale}`);
    }
    // Inference (no gradient recorded) keeps the fused kernel and the same outputs.
    const input = tf.tensor4d(x, [n, h, w, c]);
    const inference = await tf.profile(() => (model.predict(input) as tf.Tensor).dispose());
    assert.ok(inference.kernels.some((k) => k.name === 'FusedConv2D'));
    const diff = tf.max(tf.abs(tf.sub(model.predict(input) as tf.Tensor, plain.predict(input) as tf.Tensor))).dataSync()[0]!;
    assert.ok(diff <= 1e-5, `logits differ by ${diff}`);
    tf.dispose([input, ours.grads, theirs.grads] as never);
    model.dispose();
    plain.dispose();
  });
}
