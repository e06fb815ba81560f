import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { randomInput, TOLERANCE, wasmVsCpu } from './compare.js';

/**
 * Whole-model gradients through tf.variableGrads: every kernel of a training
 * step (forward, all backward kernels, loss) runs on wasm and must agree with
 * cpu. Parameters arrive as inputs so both backends use identical values.
 */

test('gradients of fused conv+relu -> strided conv -> maxpool -> dense -> softmax cross-entropy match cpu', async () => {
  const batch = 3;
  const inputs = [
    randomInput([batch, 9, 11, 2], 1), // images
    randomInput([3, 3, 2, 6], 2), // conv 1 filter (fused with bias and relu, as tfjs-layers does)
    randomInput([6], 3), // conv 1 bias
    randomInput([3, 3, 6, 5], 4), // conv 2 filter, stride 2
    randomInput([2 * 3 * 5, 3], 5), // dense weights (pooled 2x3 map, 5 channels)
    randomInput([3], 6), // dense bias
    { values: Float32Array.from([1, 0, 0, 0, 0, 1, 0, 1, 0]), shape: [batch, 3] }, // one-hot labels
  ];
  const err = await wasmVsCpu(inputs, (x, w1, b1, w2, dw, db, y) => {
    const vars = [w1, b1, w2, dw, db].map((t, i) => tf.variable(t!, true, `small_${i}_${tf.getBackend()}`));
    const [fw1, fb1, fw2, fdw, fdb] = vars as unknown as [tf.Tensor4D, tf.Tensor1D, tf.Tensor4D, tf.Tensor2D, tf.Tensor1D];
    const { value, grads } = tf.variableGrads(() => {
      const h1 = tf.fused.conv2d({ x: x as tf.Tensor4D, filter: fw1, strides: 1, pad: 'same', bias: fb1, activation: 'relu' });
      const h2 = tf.maxPool(tf.relu(tf.conv2d(h1, fw2, 2, 'same')), 2, 2, 'valid');
      const logits = tf.add(tf.matMul(tf.reshape(h2, [batch, -1]), fdw), fdb);
      return tf.losses.softmaxCrossEntropy(y!, logits) as tf.Scalar;
    }, vars);
    const out = [value, ...vars.map((v) => grads[v.name]!)];
    tf.dispose(vars);
    return out;
  });
  assert.ok(err <= TOLERANCE, `relative error ${err}`);
});

test('gradients of a ResNet-style block (stride-2 conv, batch norm by moments, 1x1 shortcut) match cpu', async () => {
  const inputs = [
    randomInput([2, 10, 10, 4], 11),
    randomInput([3, 3, 4, 8], 12), // conv a, stride 2
    randomInput([3, 3, 8, 8], 13), // conv b
    randomInput([1, 1, 4, 8], 14), // shortcut, stride 2
    randomInput([8], 15), // bn gamma
    randomInput([8], 16), // bn beta
  ];
  const err = await wasmVsCpu(inputs, (x, wa, wb, ws, gamma, beta) => {
    const vars = [wa, wb, ws, gamma, beta].map((t, i) => tf.variable(t!, true, `block_${i}_${tf.getBackend()}`));
    const norm = (h: tf.Tensor4D) => {
      const { mean, variance } = tf.moments(h, [0, 1, 2]);
      return tf.add(tf.mul(tf.div(tf.sub(h, mean), tf.sqrt(tf.add(variance, 1e-5))), vars[3]!), vars[4]!) as tf.Tensor4D;
    };
    const { value, grads } = tf.variableGrads(() => {
      const a = tf.relu(norm(tf.conv2d(x as tf.Tensor4D, vars[0] as tf.Tensor4D, 2, 'same')));
      const b = tf.conv2d(a, vars[1] as tf.Tensor4D, 1, 'same');
      const shortcut = tf.conv2d(x as tf.Tensor4D, vars[2] as tf.Tensor4D, 2, 'same');
      return tf.mean(tf.square(tf.relu(tf.add(b, shortcut)))) as tf.Scalar;
    }, vars);
    const out = [value, ...vars.map((v) => grads[v.name]!)];
    tf.dispose(vars);
    return out;
  });
  assert.ok(err <= TOLERANCE, `relative error ${err}`);
});
