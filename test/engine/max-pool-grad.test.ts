import { test as nodeTest } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { initBackend } from '../../src/engine/backend.js';
import { disableSimdKernels } from '../../src/engine/kernels/simd-kernels.js';
import { useEngine } from '../../src/engine/native-addon.js';
import { randomInput, TOLERANCE, wasmVsCpu, type Input } from './compare.js';

type Pad = 'same' | 'valid';

/** Gradient of sum(maxPool(x) * weights): MaxPoolGrad with dy = weights. */
function poolGrad(size: number, stride: number, pad: Pad) {
  return (x: tf.Tensor, weights: tf.Tensor) =>
    tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(v as tf.Tensor4D, size, stride, pad), weights)))(x);
}

function poolShape(xShape: number[], size: number, stride: number, pad: Pad): number[] {
  return tf.backend_util.computePool2DInfo(xShape as [number, number, number, number], size, stride, 1, pad).outShape;
}

async function errorFor(x: Input, size: number, stride: number, pad: Pad, seed: number): Promise<number> {
  return wasmVsCpu([x, randomInput(poolShape(x.shape, size, stride, pad), seed)], poolGrad(size, stride, pad));
}

// Every test runs on the active engine (native when built), then on the wasm engine with the SIMD
// kernels (threaded backend) and with the JavaScript ones.
const IMPLEMENTATIONS = [
  { name: 'active engine', off: false, engine: null },
  { name: 'SIMD', off: false, engine: 'wasm' as const },
  { name: 'JavaScript', off: true, engine: 'wasm' as const },
];

for (const impl of IMPLEMENTATIONS) {
const test = (name: string, body: () => Promise<void>) =>
  nodeTest(`${name} [${impl.name}]`, async (t) => {
    disableSimdKernels(impl.off);
    useEngine(impl.engine);
    t.after(() => {
      disableSimdKernels(false);
      useEngine(null);
    });
    await body();
  });

test('MaxPoolGrad matches cpu: 2x2/2, overlapping 3x3/2 same, 3x3/1, odd sizes, batch 1', async () => {
  const cases: [number[], number, number, Pad][] = [
    [[2, 8, 8, 3], 2, 2, 'valid'],
    [[1, 7, 9, 5], 2, 2, 'valid'],
    [[2, 6, 8, 8], 2, 2, 'valid'],
    [[2, 9, 7, 8], 3, 2, 'same'],
    [[1, 6, 5, 4], 3, 1, 'same'],
    [[2, 9, 7, 4], 3, 2, 'same'],
    [[1, 6, 6, 2], 3, 1, 'same'],
    [[3, 5, 5, 1], 3, 3, 'valid'],
  ];
  for (const [i, [shape, size, stride, pad]] of cases.entries()) {
    const err = await errorFor(randomInput(shape, 400 + i), size, stride, pad, 500 + i);
    assert.ok(err <= TOLERANCE, `x [${shape}] pool ${size}/${stride} ${pad}: relative error ${err}`);
  }
});

test('MaxPoolGrad breaks ties, -Infinity and NaN windows exactly as cpu does', async () => {
  const shape = [1, 4, 6, 2];
  const values = new Float32Array(48);
  for (let i = 0; i < values.length; i++) values[i] = Math.round(Math.sin(i) * 2) / 2; // many equal values
  values.fill(-Infinity, 0, 8); // a window with no finite value
  values[20] = NaN;
  values[30] = Infinity;
  // After a ReLU whole windows are 0: the first pixel of each must take the gradient.
  const relu = randomInput([2, 6, 8, 3], 650);
  relu.values = relu.values.map((v) => Math.max(v, 0));
  // The same values four channels wide, so ties and NaN also land in SIMD lanes.
  const wide = { values, shape: [1, 4, 3, 4] };
  const reluWide = randomInput([2, 6, 8, 8], 651);
  reluWide.values = reluWide.values.map((v) => Math.max(v, 0));
  for (const x of [{ values, shape }, relu, wide, reluWide]) {
    for (const [size, stride, pad] of [[2, 2, 'valid'], [3, 1, 'same'], [3, 2, 'same']] as [number, number, Pad][]) {
      const err = await errorFor(x, size, stride, pad, 600 + size);
      assert.ok(err <= TOLERANCE, `x [${x.shape}] pool ${size}/${stride} ${pad}: relative error ${err}`);
    }
  }
});

test('MaxPoolGrad matches cpu on random shapes (property)', async () => {
  const shapes = fc
    .record({
      n: fc.integer({ min: 1, max: 3 }),
      h: fc.integer({ min: 1, max: 10 }),
      w: fc.integer({ min: 1, max: 10 }),
      c: fc.constantFrom(1, 2, 3, 4, 5, 8),
      size: fc.integer({ min: 1, max: 4 }),
      stride: fc.integer({ min: 1, max: 3 }),
      pad: fc.constantFrom<Pad>('same', 'valid'),
      seed: fc.integer({ min: 0, max: 1e6 }),
    })
    .filter((s) => s.pad === 'same' || (s.h >= s.size && s.w >= s.size));
  await fc.assert(
    fc.asyncProperty(shapes, async (s) => (await errorFor(randomInput([s.n, s.h, s.w, s.c], s.seed), s.size, s.stride, s.pad, s.seed + 1)) <= TOLERANCE),
    { numRuns: 30, seed: 2024 },
  );
});
}

nodeTest('the SIMD kernel is in use on the threaded backend', async () => {
  await initBackend('wasm');
  if (getThreadsCount() > 1) {
    const { simdKernels } = await import('../../src/engine/kernels/simd-kernels.js');
    assert.notEqual(simdKernels(tf.backend() as never), null, 'dist/wasm/privmed-kernels.wasm loads (npm run build)');
  }
});
