import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendName } from '../../src/engine/backend.js';
import { PRIVMED_WASM_KERNELS } from '../../src/engine/kernels/register.js';
import { PrivmedError } from '../../src/common/errors.js';

test('wasm backend initialises idempotently and describes itself in one line', async () => {
  const first = await initBackend('wasm');
  const second = await initBackend();
  assert.equal(first, second);
  assert.equal(tf.getBackend(), 'wasm');
  assert.match(first, /^engine: (native (avx512|avx2|scalar)|wasm simd), \d+ threads? \(/);
  assert.match(first, /wasm simd, \d+ threads?.* privmed kernels: /);
  if (first.startsWith('engine: wasm')) assert.match(first, /\((native add-on|PRIVMED_ENGINE=wasm)[^;]*;/, 'the line says why the native kernels do not run');
  assert.ok(!first.includes('\n'));
  for (const name of PRIVMED_WASM_KERNELS) {
    assert.ok(first.includes(name), name);
    assert.ok(tf.getKernel(name, 'wasm') !== undefined, `${name} registered`);
  }
});

test('switching to cpu and back keeps the privmed kernels', async () => {
  assert.match(await initBackend('cpu'), /^backend: cpu/);
  assert.equal(tf.getBackend(), 'cpu');
  await initBackend('wasm');
  const grad = tf.tidy(() => {
    const x = tf.ones([1, 4, 4, 1]) as tf.Tensor4D;
    return tf.grad((w: tf.Tensor) => tf.sum(tf.conv2d(x, w as tf.Tensor4D, 1, 'valid')))(tf.ones([3, 3, 1, 1]));
  });
  // Each tap of a 3x3 valid conv over a 4x4 map of ones sees 2x2 outputs.
  assert.deepEqual(Array.from(grad.dataSync()), new Array(9).fill(4));
  grad.dispose();
});

test("backend 'tensorflow' without @tensorflow/tfjs-node says how to install it", async (t) => {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    t.skip('@tensorflow/tfjs-node is installed here');
    return;
  } catch {
    // not installed: the case under test
  }
  await assert.rejects(initBackend('tensorflow'), (e: unknown) => {
    assert.ok(e instanceof PrivmedError);
    assert.match(e.message, /@tensorflow\/tfjs-node/);
    assert.match(e.hint ?? '', /npm install @tensorflow\/tfjs-node/);
    return true;
  });
  assert.notEqual(tf.getBackend(), 'tensorflow');
});

test('an unknown backend name is a user error', async () => {
  await assert.rejects(initBackend('gpu' as BackendName), PrivmedError);
});
