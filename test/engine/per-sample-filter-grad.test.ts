// PrivmedPerSampleFilterGrad (each sample's conv filter gradient in one kernel, on aliases of the
// batch) against tfjs-backend-cpu's filter gradient of each sample alone, on the native add-on when
// built and on the wasm engine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend.js';
import { engineChoice, useEngine, type EngineName } from '../../src/engine/native-addon.js';
import { PER_SAMPLE_FILTER_GRAD } from '../../src/engine/kernels/per-sample-filter-grad.js';
import { convOutShape, randomInput, runOn, relativeError, TOLERANCE } from './compare.js';

await initBackend('wasm');
const ENGINES: EngineName[] = engineChoice()?.best !== undefined ? ['native', 'wasm'] : ['wasm'];

// [x shape, filter shape, stride, pad]
const CASES: [number[], number[], number, 'same' | 'valid'][] = [
  [[3, 9, 9, 4], [3, 3, 4, 8], 1, 'same'],
  [[2, 11, 10, 16], [3, 3, 16, 5], 2, 'same'],
  [[4, 8, 8, 3], [1, 1, 3, 7], 2, 'valid'],
  [[1, 12, 12, 1], [7, 7, 1, 6], 2, 'same'],
];

for (const engine of ENGINES) {
  test(`per-sample filter gradients on ${engine} equal each sample's filter gradient on cpu`, async () => {
    for (const [i, [xShape, wShape, stride, pad]] of CASES.entries()) {
      const x = randomInput(xShape, 10 * i), dy = randomInput(convOutShape(xShape, wShape, stride, pad), 10 * i + 1);
      const attrs = { strides: stride, pad, dataFormat: 'NHWC', filterShape: wShape };
      const [ref] = await runOn('cpu', [x, dy], (xs, dys) =>
        tf.stack(Array.from({ length: xShape[0]! }, (_, s) =>
          tf.engine().runKernel('Conv2DBackpropFilter', { x: tf.slice(xs!, s, 1), dy: tf.slice(dys!, s, 1) }, attrs as never) as tf.Tensor)));
      useEngine(engine);
      try {
        const [got] = await runOn('wasm', [x, dy], (xs, dys) => tf.engine().runKernel(PER_SAMPLE_FILTER_GRAD, { x: xs!, dy: dys! }, attrs as never) as tf.Tensor);
        assert.ok(relativeError(got!, ref!) <= TOLERANCE, `[${xShape}] * [${wShape}] /${stride} ${pad}: relative error ${relativeError(got!, ref!)}`);
      } finally {
        useEngine(null);
      }
    }
  });
}
