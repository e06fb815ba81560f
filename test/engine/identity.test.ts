import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend.js';

test('Identity on wasm shares data, frees it once, and gradients through clones stay right', async () => {
  await initBackend('wasm');
  const before = tf.memory().numBytes;
  const x = tf.tensor2d([1, -2, 3, 4], [2, 2]);
  const y = tf.clone(x);
  assert.deepEqual(Array.from(y.dataSync()), [1, -2, 3, 4]);
  x.dispose();
  // y still reads the shared data after x is gone.
  assert.deepEqual(Array.from(y.dataSync()), [1, -2, 3, 4]);
  y.dispose();
  assert.equal(tf.memory().numBytes, before);
  const w = tf.variable(tf.tensor1d([0.5, -1.5, 2]));
  const { grads } = tf.variableGrads(() => tf.sum(tf.mul(tf.add(tf.clone(w), w), tf.tensor1d([1, 2, 3]))) as tf.Scalar, [w]);
  assert.deepEqual(Array.from(grads[w.name]!.dataSync()), [2, 4, 6]);
  w.assign(tf.tensor1d([1, 1, 1]));
  assert.deepEqual(Array.from(w.dataSync()), [1, 1, 1]);
  tf.dispose(grads);
  w.dispose();
});
