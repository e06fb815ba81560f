// The fused normalisation kernel (GroupNorm and BatchNorm training) against
// tfjs's composed ops on tfjs-backend-cpu: forward, statistics and the
// gradients of x, gamma and beta, on the native add-on (when built) and on
// the wasm engine's JavaScript path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend.js';
import { engineChoice, useEngine, type EngineName } from '../../src/engine/native-addon.js';
import { nativeRunCount } from '../../src/engine/kernels/native-kernels.js';
import { NORM_PARAM_GRADS } from '../../src/engine/kernels/fused-norm.js';
import { fusedNorm } from '../../src/models/fused-norm.js';
import { BatchNormalization } from '../../src/models/batch-norm.js';
import { GroupNormalization } from '../../src/models/group-norm.js';
import { randomInput, runOn, TOLERANCE, wasmVsCpu, relativeError, type Input } from './compare.js';

await initBackend('wasm');
const nativeBuilt = engineChoice()?.engine === 'native' || engineChoice()?.best !== undefined;
const ENGINES: EngineName[] = nativeBuilt ? ['native', 'wasm'] : ['wasm'];
if (!nativeBuilt) process.stderr.write('*** native add-on not in use: the fused norm runs on its JavaScript path only ***\n');

/** tfjs's composition (what the cpu backend runs): [y, mean, variance]. */
function composed(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, groups: number, eps: number): tf.Tensor[] {
  if (groups === 0) {
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    const { mean, variance } = tf.moments(x, axes);
    return [tf.batchNorm(x, mean, variance, beta, gamma, eps), mean, variance];
  }
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const grouped = tf.reshape(x, [n, h * w, groups, c / groups]);
  const { mean, variance } = tf.moments(grouped, [1, 3], true);
  const normed = tf.reshape(tf.mul(tf.sub(grouped, mean), tf.rsqrt(tf.add(variance, eps))), [n, h, w, c]);
  return [tf.add(tf.mul(normed, gamma), beta), tf.reshape(mean, [n, groups]), tf.reshape(variance, [n, groups])];
}

/** y, mean, variance and the gradients of sum(y * dy) by x, gamma and beta. */
const normAndGrads = (groups: number, eps: number) => (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, dy: tf.Tensor): tf.Tensor[] => {
  const run = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => fusedNorm(a, g, b, groups, eps) ?? composed(a, g, b, groups, eps);
  const [y, mean, variance] = run(x, gamma, beta);
  const grads = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(run(a, g, b)[0]!, dy)))([x, gamma, beta]);
  return [y!, mean!, variance!, ...grads];
};

function inputs(shape: number[], seed: number, offset = 0): Input[] {
  const c = shape[shape.length - 1]!;
  const x = randomInput(shape, seed);
  for (let i = 0; i < x.values.length; i++) x.values[i] = x.values[i]! * 3 + offset;
  return [x, randomInput([c], seed + 1), randomInput([c], seed + 2), randomInput(shape, seed + 3)];
}

async function check(engine: EngineName, shape: number[], groups: number, seed: number, offset = 0): Promise<number> {
  useEngine(engine);
  try {
    const before = nativeRunCount();
    const err = await wasmVsCpu(inputs(shape, seed, offset), normAndGrads(groups, 1e-5));
    if (engine === 'native') assert.ok(nativeRunCount() - before >= 2, 'the fused norm and its gradient ran on the add-on');
    return err;
  } finally {
    useEngine(null);
  }
}

// [shape, groups]: GroupNorm as the models use it, one channel per group, one group, odd sizes,
// batch 1; BatchNorm (groups 0) on NHWC maps and on [batch, features].
const CASES: [number[], number][] = [
  [[4, 16, 16, 32], 8], [[2, 7, 9, 12], 3], [[3, 5, 5, 6], 6], [[1, 6, 4, 10], 1], [[2, 33, 31, 64], 32],
  [[8, 14, 14, 64], 0], [[3, 7, 5, 17], 0], [[16, 40], 0], [[1, 9, 9, 3], 0],
];

for (const engine of ENGINES) {
  test(`fused norm on ${engine}: forward, statistics and gradients match tfjs's composition on cpu`, async () => {
    for (const [i, [shape, groups]] of CASES.entries()) {
      const err = await check(engine, shape, groups, 100 * i);
      assert.ok(err <= TOLERANCE, `[${shape}] groups ${groups}: relative error ${err}`);
    }
    // A large mean against a small spread: the centred form must not cancel.
    const err = await check(engine, [2, 8, 8, 16], 4, 7, 50);
    assert.ok(err <= TOLERANCE, `offset 50: relative error ${err}`);
  });

  test(`fused norm on ${engine}: random shapes (property)`, async () => {
    const shapes = fc.record({
      n: fc.integer({ min: 1, max: 4 }), h: fc.integer({ min: 1, max: 9 }), w: fc.integer({ min: 1, max: 9 }),
      groups: fc.integer({ min: 1, max: 6 }), per: fc.integer({ min: 1, max: 5 }), batch: fc.boolean(), seed: fc.integer({ min: 0, max: 1e6 }),
    });
    await fc.assert(
      fc.asyncProperty(shapes, async (s) => {
        const shape = [s.n, s.h, s.w, s.groups * s.per];
        // BatchNorm needs more than one value per channel for a defined gradient scale.
        if (s.batch && s.n * s.h * s.w < 2) return true;
        return (await check(engine, shape, s.batch ? 0 : s.groups, s.seed)) <= TOLERANCE;
      }),
      { numRuns: 25, seed: 1618 },
    );
  });
}

test('the BatchNormalization layer trains with the fused kernel and updates its moving statistics as tfjs does', async () => {
  const x = inputs([4, 6, 6, 8], 9)[0]!;
  const layerOut = async (backend: 'wasm' | 'cpu') => {
    await initBackend(backend);
    const layer = new BatchNormalization({ epsilon: 1e-5, momentum: 0.9 });
    layer.build(x.shape);
    const [y, mean, variance] = await runOn(backend, [x], (t) => {
      const out = layer.apply(t, { training: true }) as tf.Tensor;
      return [out, layer.getWeights()[2]!.clone(), layer.getWeights()[3]!.clone()];
    });
    for (const w of layer.weights) w.dispose();
    return [y!, mean!, variance!];
  };
  const cpu = await layerOut('cpu');
  const wasm = await layerOut('wasm');
  for (let k = 0; k < 3; k++) assert.ok(relativeError(wasm[k]!, cpu[k]!) <= TOLERANCE, `output ${k}: ${relativeError(wasm[k]!, cpu[k]!)}`);
  await initBackend('wasm');
});

test('the GroupNormalization layer gives the same output through the fused kernel', async () => {
  const x = inputs([2, 5, 5, 12], 11)[0]!;
  const out = async (backend: 'wasm' | 'cpu') => {
    await initBackend(backend);
    const layer = new GroupNormalization({ groups: 4 });
    layer.build(x.shape);
    const [y] = await runOn(backend, [x], (t) => layer.apply(t) as tf.Tensor);
    for (const w of layer.weights) w.dispose();
    return y!;
  };
  const cpu = await out('cpu');
  assert.ok(relativeError(await out('wasm'), cpu) <= TOLERANCE);
});

for (const engine of ENGINES) {
  test(`per-sample norm parameter gradients on ${engine} match each sample's sums of dy * xhat and dy on cpu`, async () => {
    for (const [i, [shape, groups]] of ([[[4, 16, 16, 32], 8], [[3, 7, 5, 6], 3], [[2, 9, 9, 5], 1], [[5, 4, 4, 8], 8]] as [number[], number][]).entries()) {
      const [x, , , dy] = inputs(shape, 300 + i, i === 0 ? 20 : 0);
      const [n, h, w, c] = shape as [number, number, number, number];
      const [dgRef, dbRef] = await runOn('cpu', [x!, dy!], (xs, dys) => {
        const grouped = tf.reshape(xs!, [n, h * w, groups, c / groups]);
        const { mean, variance } = tf.moments(grouped, [1, 3], true);
        const xhat = tf.reshape(tf.mul(tf.sub(grouped, mean), tf.rsqrt(tf.add(variance, 1e-5))), [n, h, w, c]);
        return [tf.sum(tf.mul(dys!, xhat), [1, 2]), tf.sum(dys!, [1, 2])];
      });
      useEngine(engine);
      try {
        const before = nativeRunCount();
        const [dg, db] = await runOn('wasm', [x!, dy!], (xs, dys) => {
          const [, mean, variance] = fusedNorm(xs!, tf.ones([c]), tf.zeros([c]), groups, 1e-5)!;
          return tf.engine().runKernel(NORM_PARAM_GRADS, { dy: dys!, x: xs!, mean, variance }, { groups, epsilon: 1e-5 }) as tf.Tensor[];
        });
        if (engine === 'native') assert.ok(nativeRunCount() - before >= 2, 'ran on the add-on');
        assert.ok(relativeError(dg!, dgRef!) <= TOLERANCE, `[${shape}] ${groups} groups dgamma: ${relativeError(dg!, dgRef!)}`);
        assert.ok(relativeError(db!, dbRef!) <= TOLERANCE, `[${shape}] ${groups} groups dbeta: ${relativeError(db!, dbRef!)}`);
      } finally {
        useEngine(null);
      }
    }
  });
}
