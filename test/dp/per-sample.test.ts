import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../../src/engine/backend.js';
import { ClippedSum, planClipping, type ClipSpec } from '../../src/dp/sgd/clipping.js';
import { perSampleGradients, resolvePerSampleMethod, type PerSampleGradients } from '../../src/dp/per-sample/per-sample.js';
import { weightedCrossEntropyPerSample } from '../../src/training/loss.js';
import { PrivmedError } from '../../src/common/errors.js';
import type { Batch } from '../../src/data/dataset.js';
import { Rng } from '../../src/common/rng.js';
import { smallCnn, tinyResNet } from './models.js';

before(async () => {
  await initBackend('wasm');
});

function randomBatch(model: tfl.LayersModel, size: number, classes: number, seed: number): Batch {
  const rng = new Rng(seed);
  const pixels = (model.inputs[0]!.shape.slice(1) as number[]).reduce((a, b) => a * b, 1);
  return {
    x: Float32Array.from({ length: size * pixels }, () => rng.normal()),
    y: Int32Array.from({ length: size }, (_, i) => i % classes),
    indices: Int32Array.from({ length: size }, (_, i) => i),
    size,
  };
}

async function clippedSum(ps: PerSampleGradients, batch: Batch, spec: ClipSpec): Promise<{ sum: Float64Array; loss: number }> {
  const sum = new ClippedSum(
    ps.variables.map((v) => v.size),
    planClipping(spec, ps.variables),
  );
  const loss = await ps.accumulate(batch, sum);
  return { sum: sum.flat(), loss };
}

function relativeError(a: Float64Array, b: Float64Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += a[i]! ** 2;
  }
  return Math.sqrt(num / den);
}

const CASES = [
  { name: 'small-cnn', build: () => smallCnn('group'), classes: 2, clips: [{ kind: 'flat', norm: 0.5 }, { kind: 'per-layer', norm: 0.5 }] as ClipSpec[] },
  { name: 'tiny ResNet (residual add, strided and valid convs, GroupNorm, LayerNorm, dense)', build: () => tinyResNet('group'), classes: 3, clips: [{ kind: 'flat', norm: 0.2 }, { kind: 'per-layer', norm: 0.3 }] as ClipSpec[] },
];

for (const c of CASES) {
  test(`loop and vectorised per-sample gradients give the same clipped sum: ${c.name}`, async () => {
    const model = c.build();
    const loss = weightedCrossEntropyPerSample(c.classes === 2 ? [1, 2.5] : null);
    const loop = perSampleGradients(model, loss, 'loop');
    const vectorised = perSampleGradients(model, loss, 'vectorised');
    assert.deepEqual(vectorised.variables.map((v) => v.name), loop.variables.map((v) => v.name));
    const batch = randomBatch(model, 6, c.classes, 7);
    const tensorsBefore = tf.memory().numTensors;
    for (const clip of c.clips) {
      const a = await clippedSum(loop, batch, clip);
      const b = await clippedSum(vectorised, batch, clip);
      const err = relativeError(a.sum, b.sum);
      assert.ok(err < 1e-5, `${clip.kind}: relative error ${err}`);
      assert.ok(Math.abs(a.loss - b.loss) < 1e-5 * Math.abs(a.loss));
    }
    assert.equal(tf.memory().numTensors, tensorsBefore, 'no tensors leak');
    model.dispose();
  });
}

test('without clipping, the per-sample gradients add up to the batch gradient of the summed loss', async () => {
  const model = tinyResNet('group');
  const loss = weightedCrossEntropyPerSample([1, 2, 0.5]);
  const batch = randomBatch(model, 4, 3, 11);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(() => {
    const logits = model.apply(tf.tensor4d(batch.x, [4, 10, 10, 2]), { training: true }) as tf.Tensor2D;
    return tf.sum(loss(logits, tf.tensor1d(batch.y, 'int32'))) as tf.Scalar;
  }, vars);
  const expected = Float64Array.from((await tf.concat(vars.map((v) => tf.reshape(grads[v.name]!, [-1]))).data()) as Float32Array);
  value.dispose();
  tf.dispose(grads);
  for (const method of ['loop', 'vectorised'] as const) {
    const { sum } = await clippedSum(perSampleGradients(model, loss, method), batch, { kind: 'flat', norm: 1e9 });
    assert.ok(relativeError(expected, sum) < 1e-5, `${method}: relative error ${relativeError(expected, sum)}`);
  }
  model.dispose();
});

test('the vectorised strategy refuses layers it cannot cover, with a way out', () => {
  const input = tfl.input({ shape: [8, 8, 2] });
  let x = tfl.layers.depthwiseConv2d({ kernelSize: 3, name: 'depthwise' }).apply(input) as tfl.SymbolicTensor;
  x = tfl.layers.flatten().apply(x) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: tfl.layers.dense({ units: 2 }).apply(x) as tfl.SymbolicTensor });
  const loss = weightedCrossEntropyPerSample(null);
  assert.throws(
    () => perSampleGradients(model, loss, 'vectorised'),
    (e: unknown) => e instanceof PrivmedError && /layer 'depthwise' \(DepthwiseConv2D\)/.test(e.message) && /perSampleGradients: loop/.test(e.hint ?? ''),
  );
  assert.equal(perSampleGradients(model, loss, 'loop').method, 'loop');
  assert.equal(perSampleGradients(model, loss, 'auto').method, 'loop', 'auto falls back to the loop');
  const bn = smallCnn('batch');
  assert.throws(() => perSampleGradients(bn, loss, 'vectorised'), /mixes samples/);
  model.dispose();
  bn.dispose();
});

test('auto picks the loop on cpu, vectorised on wasm and tensorflow', () => {
  assert.equal(resolvePerSampleMethod('auto', 'wasm'), 'vectorised');
  assert.equal(resolvePerSampleMethod('auto', 'cpu'), 'loop');
  assert.equal(resolvePerSampleMethod('auto', 'tensorflow'), 'vectorised');
  assert.equal(resolvePerSampleMethod('vectorised', 'wasm'), 'vectorised');
});
