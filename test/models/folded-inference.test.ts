// Inference with BatchNorm folded into the convolution before it (src/models/folded-inference.ts)
// against the model's own inference (model.apply, training false), to 1e-5 relative, on each engine
// and on cpu: ResNet-18 (both stems, trained-looking moving statistics), and graphs where a chain
// must not be folded (a conv output read twice, a ReLU6, a conv with its own activation).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../../src/engine/backend.js';
import { engineChoice, useEngine, type EngineName } from '../../src/engine/native-addon.js';
import { buildModel } from '../../src/models/build.js';
import { foldedInference } from '../../src/models/folded-inference.js';
import { initWeights } from '../../src/training/init.js';
import { Rng } from '../../src/common/rng.js';

type ST = tfl.SymbolicTensor;

await initBackend('wasm');
const ENGINES: (EngineName | 'cpu')[] = [...(engineChoice()?.best !== undefined ? ['native' as const] : []), 'wasm', 'cpu'];

/** Moving statistics and affine weights away from their initial 0/1, so the fold has something to fold. */
function perturbBatchNorms(model: tfl.LayersModel, seed: number): void {
  const rng = new Rng(seed);
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    layer.setWeights(layer.getWeights().map((w, i) => {
      const v = Float32Array.from({ length: w.size }, () => (i === 3 ? rng.uniform(0.2, 3) : rng.uniform(-0.8, 0.8) + (i === 0 ? 1 : 0)));
      return tf.tensor(v, w.shape);
    }));
  }
}

function relativeError(a: Float32Array, b: Float32Array): number {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) (num += (a[i]! - b[i]!) ** 2), (den += b[i]! ** 2);
  return Math.sqrt(num / den);
}

async function compare(model: tfl.LayersModel, x: tf.Tensor, engine: EngineName | 'cpu', expectFolded: number, what: string): Promise<void> {
  const backend = engine === 'cpu' ? 'cpu' : 'wasm';
  await tf.setBackend(backend);
  if (engine !== 'cpu') useEngine(engine);
  try {
    const input = tf.tensor(x.dataSync(), x.shape);
    const ref = tf.tidy(() => model.apply(input, { training: false }) as tf.Tensor);
    const tensors = tf.memory().numTensors;
    const session = foldedInference(model);
    assert.equal(session.folded, expectFolded, `${what}: convolutions folded`);
    const got = session.apply(input) as tf.Tensor;
    const err = relativeError(got.dataSync() as Float32Array, ref.dataSync() as Float32Array);
    assert.ok(err <= 1e-5, `${what} on ${engine}: relative error ${err}`);
    tf.dispose([got]);
    session.dispose();
    assert.equal(tf.memory().numTensors, tensors, `${what}: the session leaves no tensors`);
    tf.dispose([input, ref]);
  } finally {
    useEngine(null);
    await tf.setBackend('wasm');
  }
}

for (const [size, batch] of [[32, 3], [72, 2]] as const) {
  test(`ResNet-18 (${size} px, ${size > 64 ? '7x7/2 stem and max-pool' : '3x3 stem'}): folded inference equals the model's`, async () => {
    const model = buildModel({ arch: 'resnet18', inputShape: [size, size, 1], numClasses: 3, norm: 'batch' });
    initWeights(model, 4);
    perturbBatchNorms(model, 9);
    const rng = new Rng(size);
    const x = tf.tensor4d(Float32Array.from({ length: batch * size * size }, () => rng.normal()), [batch, size, size, 1]);
    // Every conv is followed by a BatchNorm: 17 3x3 convs (and the stem), 3 1x1 shortcuts.
    for (const engine of ENGINES) await compare(model, x, engine, 20, `resnet18 ${size}`);
    x.dispose();
    model.dispose();
  });
}

test('chains the graph does not allow are left alone: a conv output read twice, ReLU6, a conv with its own activation', async () => {
  const input = tfl.input({ shape: [9, 9, 3] });
  const conv = (name: string, activation?: 'relu') => tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name, activation, useBias: name !== 'a' });
  const bn = (name: string) => tfl.layers.batchNormalization({ name });
  const a = conv('a').apply(input) as ST; // read by its BatchNorm and by the add: not folded
  const an = tfl.layers.reLU({ name: 'a_relu' }).apply(bn('a_bn').apply(a) as ST) as ST;
  const sum = tfl.layers.add().apply([an, a]) as ST;
  const b = tfl.layers.reLU({ maxValue: 6, name: 'b_relu6' }).apply(bn('b_bn').apply(conv('b').apply(sum) as ST) as ST) as ST; // folded, ReLU6 kept
  const c = bn('c_bn').apply(conv('c', 'relu').apply(b) as ST) as ST; // own activation: not folded
  const d = tfl.layers.activation({ activation: 'relu' }).apply(bn('d_bn').apply(conv('d').apply(c) as ST) as ST) as ST; // folded with its ReLU
  const model = tfl.model({ inputs: input, outputs: tfl.layers.globalAveragePooling2d({}).apply(d) as ST });
  perturbBatchNorms(model, 2);
  const rng = new Rng(1);
  const x = tf.tensor4d(Float32Array.from({ length: 2 * 81 * 3 }, () => rng.normal()), [2, 9, 9, 3]);
  for (const engine of ENGINES) await compare(model, x, engine, 2, 'mixed graph');
  x.dispose();
  model.dispose();
});

test('a model without BatchNorm runs unchanged', async () => {
  const model = buildModel({ arch: 'small-cnn', inputShape: [16, 16, 1], numClasses: 2, norm: 'group' });
  initWeights(model, 1);
  const x = tf.randomNormal([2, 16, 16, 1]);
  await compare(model, x, 'wasm', 0, 'small CNN');
  x.dispose();
  model.dispose();
});
