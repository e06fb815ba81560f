import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend.js';
import { PrivmedError } from '../../src/common/errors.js';

test('conv backward kernels refuse what they do not implement instead of computing garbage', async () => {
  await initBackend('wasm');
  const x = tf.ones([1, 5, 5, 2]);
  const dy = tf.ones([1, 5, 5, 3]);
  const w = tf.ones([3, 3, 2, 3]);
  const smallDy = tf.ones([1, 4, 4, 3]);
  const buffers = tf.backend().numDataIds();
  const filterAttrs = { strides: 1, pad: 'same', filterShape: [3, 3, 2, 3] };
  const inputAttrs = { strides: 1, pad: 'same', inputShape: [1, 5, 5, 2] };
  const bad: [string, Record<string, tf.Tensor>, Record<string, unknown>, RegExp][] = [
    ['Conv2DBackpropFilter', { x, dy }, { ...filterAttrs, dataFormat: 'NCHW' }, /dataFormat 'NCHW'/],
    ['Conv2DBackpropFilter', { x, dy }, { ...filterAttrs, dataFormat: 'NHWC', dilations: 2 }, /dilations \[2, 2\]/],
    ['Conv2DBackpropInput', { dy, filter: w }, { ...inputAttrs, dataFormat: 'NCHW' }, /dataFormat 'NCHW'/],
    ['Conv2DBackpropInput', { dy, filter: w }, { ...inputAttrs, dataFormat: 'NHWC', dilations: [1, 3] }, /dilations \[1, 3\]/],
    ['Conv2DBackpropFilter', { x, dy: smallDy }, { ...filterAttrs, dataFormat: 'NHWC' }, /dy has shape/],
  ];
  for (const [kernel, inputs, attrs, message] of bad) {
    assert.throws(() => tf.engine().runKernel(kernel, inputs, attrs as never), (e: unknown) => e instanceof PrivmedError && message.test(e.message), kernel);
  }
  tf.dispose([x, dy, w, smallDy]);
  assert.equal(tf.backend().numDataIds(), buffers - 4, 'a refused call leaves nothing behind');
});
