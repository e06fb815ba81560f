// The fused Adam step against tf.train.adam on tfjs-backend-cpu: three steps
// of a few variables (one large enough to take every thread), on the native
// add-on when built and on the wasm engine's JavaScript path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend.js';
import { engineChoice, useEngine, type EngineName } from '../../src/engine/native-addon.js';
import { nativeRunCount } from '../../src/engine/kernels/native-kernels.js';
import { fusedAdam } from '../../src/engine/fused-adam.js';
import { randomInput, relativeError, TOLERANCE, type Input } from './compare.js';

await initBackend('wasm');
const ENGINES: EngineName[] = engineChoice()?.best !== undefined ? ['native', 'wasm'] : ['wasm'];

const SHAPES = [[3, 3, 8, 16], [16], [300, 700], [1]];

/** Weights and moments after three Adam steps with fixed gradients. */
async function train(backend: 'wasm' | 'cpu', make: () => tf.Optimizer, start: Input[], grads: Input[][]): Promise<Float32Array[]> {
  await initBackend(backend);
  const vars = start.map((s, i) => tf.variable(tf.tensor(s.values, s.shape), true, `adam_test_${backend}_${i}_${Math.random()}`));
  const opt = make();
  for (const step of grads) {
    const g: tf.NamedTensorMap = {};
    step.forEach((s, i) => (g[vars[i]!.name] = tf.tensor(s.values, s.shape)));
    opt.applyGradients(g);
    tf.dispose(Object.values(g));
  }
  const moments = (await opt.getWeights()).slice(1).map((w) => w.tensor.dataSync() as Float32Array);
  const out = [...vars.map((v) => v.dataSync() as Float32Array), ...moments];
  opt.dispose();
  tf.dispose(vars);
  return out;
}

for (const engine of ENGINES) {
  test(`fused Adam on ${engine} equals tf.train.adam on cpu`, async () => {
    const start = SHAPES.map((s, i) => randomInput(s, i));
    const grads = [0, 1, 2].map((k) => SHAPES.map((s, i) => randomInput(s, 100 * k + i + 10)));
    grads[1]![1]!.values.fill(0); // zero gradients leave m and v decaying only
    const ref = await train('cpu', () => tf.train.adam(1e-2), start, grads);
    useEngine(engine);
    try {
      const before = nativeRunCount();
      const got = await train('wasm', () => fusedAdam(1e-2), start, grads);
      // At least: the moments' zero fills run natively too.
      if (engine === 'native') assert.ok(nativeRunCount() - before >= 3 * SHAPES.length, 'every step of every variable ran on the add-on');
      assert.equal(got.length, ref.length);
      for (let k = 0; k < ref.length; k++) assert.ok(relativeError(got[k]!, ref[k]!) <= TOLERANCE, `tensor ${k}: relative error ${relativeError(got[k]!, ref[k]!)}`);
    } finally {
      useEngine(null);
    }
  });
}

test('fused Adam falls back to tfjs on a backend without the kernel', async () => {
  await initBackend('cpu');
  const v = tf.variable(tf.ones([4]));
  const opt = fusedAdam(0.1);
  opt.applyGradients({ [v.name]: tf.ones([4]) });
  assert.ok(Math.abs(v.dataSync()[0]! - 0.9) < 1e-5);
  opt.dispose();
  v.dispose();
  await initBackend('wasm');
});
