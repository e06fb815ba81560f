import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { disableSimdKernels } from '../../src/engine/kernels/simd-kernels.js';
import { initBackend } from '../../src/engine/backend.js';
import { engineChoice, useEngine } from '../../src/engine/native-addon.js';
import { randomInput, runOn, type Input } from './compare.js';

/** Gradient of sum(relu(x) * weights): the Relu gradient with dy = weights. */
const reluGradOf = (x: tf.Tensor, weights: tf.Tensor) => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.relu(v), weights)))(x);

function specialValues(): Input {
  // Zeros of both signs, infinities and NaN in x, and an odd length for the scalar tail.
  const values = Float32Array.from([0, -0, 1e-30, -1e-30, Infinity, -Infinity, NaN, 2.5, -3, 7, 0, NaN, -1, 1, 0.5, -0.5, 3, -2, 1e30]);
  return { values, shape: [values.length] };
}

await initBackend('wasm');
const native = engineChoice()?.best !== undefined ? [{ name: 'native', off: false, engine: 'native' as const }] : [];
for (const impl of [...native, { name: 'SIMD', off: false, engine: 'wasm' as const }, { name: 'JavaScript', off: true, engine: 'wasm' as const }]) {
  test(`the fused ReLU gradient equals tfjs-backend-cpu bit for bit [${impl.name}]`, async (t) => {
    disableSimdKernels(impl.off);
    useEngine(impl.engine);
    t.after(() => {
      disableSimdKernels(false);
      useEngine(null);
    });
    const special = specialValues();
    const dy = randomInput(special.shape, 7);
    dy.values[3] = Infinity; // dy * 0 = NaN must match too
    for (const [x, w] of [[special, dy], [randomInput([2, 5, 7, 3], 1), randomInput([2, 5, 7, 3], 2)]] as [Input, Input][]) {
      const [cpu] = await runOn('cpu', [x, w], reluGradOf);
      const [wasm] = await runOn('wasm', [x, w], reluGradOf);
      assert.equal(wasm!.length, cpu!.length);
      for (let i = 0; i < cpu!.length; i++) assert.ok(Object.is(wasm![i], cpu![i]), `element ${i}: x ${x.values[i]}, wasm ${wasm![i]} vs cpu ${cpu![i]}`);
    }
  });
}

test("off wasm the ReLU gradient is tfjs's own formula", async () => {
  const [cpu] = await runOn('cpu', [randomInput([4, 3], 3)], (x) => tf.grad((v: tf.Tensor) => tf.sum(tf.relu(v)))(x));
  assert.deepEqual(Array.from(cpu!), Array.from(randomInput([4, 3], 3).values).map((v) => (v > 0 ? 1 : 0)));
});
