// PrivmedPerSampleFilterGrad (each sample's conv filter gradient in one kernel: samples in parallel on
// the native add-on, aliases of the batch on the wasm engine) against tfjs-backend-cpu's filter
// gradient of each sample alone, on fixed and random shapes; natively also bit for bit against the
// add-on's batch filter gradient of each sample alone.
import { test } from 'node:test';
import fc from 'fast-check';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend.js';
import { engineChoice, useEngine, useNativeIsa, type EngineName, type NativeIsa } from '../../src/engine/native-addon.js';
import { nativeRunCount } from '../../src/engine/kernels/native-kernels.js';
import { PER_SAMPLE_FILTER_GRAD } from '../../src/engine/kernels/per-sample-filter-grad.js';
import { convOutShape, randomInput, runOn, relativeError, TOLERANCE } from './compare.js';

await initBackend('wasm');
const ENGINES: EngineName[] = engineChoice()?.best !== undefined ? ['native', 'wasm'] : ['wasm'];

// [x shape, filter shape, stride, pad]: im2col (< 16 input channels) and tiled paths, fewer samples than
// threads (several tasks per sample), the small CNN's layers, a 1x1/2 shortcut.
const CASES: [number[], number[], number, 'same' | 'valid'][] = [
  [[3, 9, 9, 4], [3, 3, 4, 8], 1, 'same'],
  [[2, 11, 10, 16], [3, 3, 16, 5], 2, 'same'],
  [[4, 8, 8, 3], [1, 1, 3, 7], 2, 'valid'],
  [[1, 12, 12, 1], [7, 7, 1, 6], 2, 'same'],
  [[5, 16, 16, 1], [3, 3, 1, 32], 1, 'same'],
  [[6, 12, 12, 32], [3, 3, 32, 64], 1, 'same'],
  [[1, 9, 7, 40], [3, 3, 40, 33], 1, 'valid'],
  [[3, 8, 8, 64], [1, 1, 64, 128], 2, 'same'],
];

async function check(engine: EngineName, xShape: number[], wShape: number[], stride: number, pad: 'same' | 'valid', seed: number): Promise<void> {
  const x = randomInput(xShape, seed), dy = randomInput(convOutShape(xShape, wShape, stride, pad), seed + 1);
  const attrs = { strides: stride, pad, dataFormat: 'NHWC', filterShape: wShape };
  const each = (xs: tf.Tensor, dys: tf.Tensor) =>
    tf.stack(Array.from({ length: xShape[0]! }, (_, s) =>
      tf.engine().runKernel('Conv2DBackpropFilter', { x: tf.slice(xs, s, 1), dy: tf.slice(dys, s, 1) }, attrs as never) as tf.Tensor));
  const [ref] = await runOn('cpu', [x, dy], (xs, dys) => each(xs!, dys!));
  const what = `${engine} [${xShape}] * [${wShape}] /${stride} ${pad}`;
  useEngine(engine);
  try {
    const runs = nativeRunCount();
    const [got] = await runOn('wasm', [x, dy], (xs, dys) => tf.engine().runKernel(PER_SAMPLE_FILTER_GRAD, { x: xs!, dy: dys! }, attrs as never) as tf.Tensor);
    assert.ok(relativeError(got!, ref!) <= TOLERANCE, `${what}: relative error ${relativeError(got!, ref!)}`);
    if (engine === 'native') {
      assert.equal(nativeRunCount(), runs + 1, `${what}: one call of the add-on's per-sample kernel`);
      const [alone] = await runOn('wasm', [x, dy], (xs, dys) => each(xs!, dys!));
      assert.ok(got!.every((v, i) => Object.is(v, alone![i])), `${what}: bit for bit the add-on's filter gradient of each sample alone`);
    }
  } finally {
    useEngine(null);
  }
}

// Every instruction set this CPU offers the add-on (the tile sizes differ: 12x32, 6x16, 4x8).
const ISAS = (['avx512', 'avx2', 'scalar'] as NativeIsa[]).slice(['avx512', 'avx2', 'scalar'].indexOf(engineChoice()?.best ?? 'scalar'));
for (const isa of engineChoice()?.best !== undefined ? ISAS : []) {
  test(`per-sample filter gradients on the native ${isa} kernels equal each sample's filter gradient on cpu`, async () => {
    assert.equal(useNativeIsa(isa), isa);
    try {
      for (const [i, [xShape, wShape, stride, pad]] of CASES.entries()) await check('native', xShape, wShape, stride, pad, 10 * i + 3);
    } finally {
      useNativeIsa(engineChoice()!.isa ?? engineChoice()!.best!);
    }
  });
}

for (const engine of ENGINES) {
  test(`per-sample filter gradients on ${engine} equal each sample's filter gradient on cpu`, async () => {
    for (const [i, [xShape, wShape, stride, pad]] of CASES.entries()) await check(engine, xShape, wShape, stride, pad, 10 * i);
  });

  test(`per-sample filter gradients on ${engine}: random shapes (property)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          b: fc.integer({ min: 1, max: 5 }), h: fc.integer({ min: 3, max: 12 }), w: fc.integer({ min: 3, max: 12 }),
          ci: fc.integer({ min: 1, max: 40 }), co: fc.integer({ min: 1, max: 40 }), k: fc.constantFrom(1, 2, 3, 5),
          stride: fc.integer({ min: 1, max: 3 }), pad: fc.constantFrom<'same' | 'valid'>('same', 'valid'), seed: fc.integer({ min: 0, max: 1000 }),
        }).filter((r) => r.pad === 'same' || (r.h >= r.k && r.w >= r.k)),
        async (r) => check(engine, [r.b, r.h, r.w, r.ci], [r.k, r.k, r.ci, r.co], r.stride, r.pad, r.seed),
      ),
      { numRuns: 25, seed: 23 },
    );
  });
}
