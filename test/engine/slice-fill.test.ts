// The wasm Slice (reads its input on the heap, no copy of the whole input) and Fill/ZerosLike/OnesLike
// (no TypedArray.fill on the shared heap) against tfjs-backend-cpu:
// contiguous and strided slices of ranks 1-5, int32 too, and random slices (property).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend.js';
import { sliceConfig } from '../../src/engine/kernels/slice.js';
import { fillConfig, onesLikeConfig, zerosLikeConfig } from '../../src/engine/kernels/fill.js';
import { engineChoice, useEngine, type EngineName } from '../../src/engine/native-addon.js';
import { nativeRunCount } from '../../src/engine/kernels/native-kernels.js';
import { randomInput, runOn, wasmVsCpu } from './compare.js';

await initBackend('wasm');
for (const c of [sliceConfig, fillConfig, zerosLikeConfig, onesLikeConfig]) assert.equal(tf.getKernel(c.kernelName, 'wasm'), c, `privmed ${c.kernelName} is the registered wasm kernel`);

const CASES: [number[], number[], number[]][] = [
  [[32, 8, 8, 4], [5, 0, 0, 0], [1, 8, 8, 4]], // one sample: contiguous
  [[32, 8, 8, 4], [3, 0, 0, 0], [7, -1, -1, -1]],
  [[4, 9, 7, 5], [1, 2, 3, 1], [2, 5, 3, 3]], // strided in every axis
  [[10], [3], [4]],
  [[6, 5], [1, 2], [4, 2]],
  [[3, 4, 5], [0, 1, 0], [3, 2, 5]],
  [[2, 3, 4, 5, 6], [1, 0, 2, 1, 3], [1, 3, 2, 3, 2]],
  [[4, 4], [1, 1], [0, 2]], // empty
];

test('Slice on wasm equals cpu exactly (fixed shapes)', async () => {
  for (const [i, [shape, begin, size]] of CASES.entries()) {
    const err = await wasmVsCpu([randomInput(shape, i)], (x) => tf.slice(x!, begin, size));
    assert.equal(err, 0, `[${shape}] begin [${begin}] size [${size}]`);
  }
});

test('Slice on wasm of int32 tensors', async () => {
  const values = Int32Array.from({ length: 60 }, (_, i) => i * 7 - 100);
  const run = (b: 'wasm' | 'cpu') => runOn(b, [], () => tf.slice(tf.tensor3d(values, [3, 4, 5], 'int32'), [1, 1, 2], [2, 3, 2]));
  assert.deepEqual(Array.from((await run('wasm'))[0]!), Array.from((await run('cpu'))[0]!));
});

test('Slice on wasm equals cpu (random shapes, property)', async () => {
  const sliceCase = fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }).chain((shape) =>
    fc.tuple(fc.constant(shape), fc.tuple(...shape.map((d) => fc.integer({ min: 0, max: d - 1 }).chain((b) => fc.tuple(fc.constant(b), fc.integer({ min: 0, max: d - b })))))),
  );
  await fc.assert(
    fc.asyncProperty(sliceCase, fc.integer({ min: 0, max: 1e6 }), async ([shape, bs], seed) => {
      const err = await wasmVsCpu([randomInput(shape, seed)], (x) => tf.slice(x!, bs.map((p) => p[0]), bs.map((p) => p[1])));
      return err === 0;
    }),
    { numRuns: 40, seed: 2718 },
  );
});

const ENGINES: EngineName[] = engineChoice()?.best !== undefined ? ['native', 'wasm'] : ['wasm'];
for (const engine of ENGINES) {
  test(`Fill, ZerosLike and OnesLike on ${engine} equal cpu (float32, int32, bool; sizes around the chunk)`, async () => {
    useEngine(engine);
    try {
      const before = nativeRunCount();
      for (const n of [0, 1, 7, 16 * 1024, 16 * 1024 + 3, 100_000]) {
        const x = randomInput([n], n);
        const err = await wasmVsCpu([x], (t) => [tf.fill([n], -2.5), tf.zerosLike(t!), tf.onesLike(t!), tf.cast(tf.fill([n], -3, 'int32'), 'float32'), tf.cast(tf.onesLike(tf.cast(t!, 'bool')), 'float32')]);
        assert.equal(err, 0, `n = ${n}`);
      }
      if (engine === 'native') assert.ok(nativeRunCount() > before, 'the fills ran on the add-on');
    } finally {
      useEngine(null);
    }
  });
}
