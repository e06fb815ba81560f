import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import { forceFilterGradMethod } from '../../src/engine/kernels/conv2d-backprop-filter.js';
import { forceTapLayout, type TapLayoutName } from '../../src/engine/kernels/tap-layouts.js';
import { useEngine } from '../../src/engine/native-addon.js';
import { CONV_SHAPE, convOutShape, fits, randomInput, TOLERANCE, wasmVsCpu } from './compare.js';

// These pin the wasm formulations, so they run on the wasm engine (native.test.ts covers the add-on).

type Pad = 'same' | 'valid';

function filterGrad(filterShape: number[], stride: number, pad: Pad) {
  return (x: tf.Tensor, dy: tf.Tensor) =>
    tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: stride, pad, dataFormat: 'NHWC', filterShape } as never) as tf.Tensor;
}

async function errorFor(xShape: number[], filterShape: number[], stride: number, pad: Pad, seed: number): Promise<number> {
  const dyShape = convOutShape(xShape, filterShape, stride, pad);
  return wasmVsCpu([randomInput(xShape, seed), randomInput(dyShape, seed + 1)], filterGrad(filterShape, stride, pad));
}

// [x shape, filter shape, stride, padding]: strides 1/2, both paddings, 1x1/3x3/7x7,
// batch 1, odd sizes, few channels, non-square filters, stride 3.
const CASES: [number[], number[], number, Pad][] = [
  [[2, 7, 9, 3], [3, 3, 3, 5], 1, 'same'],
  [[2, 7, 9, 3], [3, 3, 3, 5], 2, 'same'],
  [[2, 7, 9, 3], [3, 3, 3, 5], 2, 'valid'],
  [[1, 8, 8, 4], [1, 1, 4, 6], 2, 'same'],
  [[1, 9, 9, 5], [1, 1, 5, 3], 1, 'valid'],
  [[1, 13, 11, 1], [7, 7, 1, 4], 2, 'same'],
  [[3, 10, 10, 5], [7, 7, 5, 4], 1, 'valid'],
  [[1, 11, 6, 3], [2, 4, 3, 2], 3, 'same'],
  [[4, 12, 12, 40], [3, 3, 40, 7], 2, 'same'],
  [[5, 6, 6, 64], [3, 3, 64, 8], 1, 'same'],
];

const VARIANTS: { name: string; pin(): void }[] = [
  { name: 'tap GEMMs, shifted-grid layout', pin: () => forceTapLayout('shifted-grid') },
  { name: 'tap GEMMs, gathered layout', pin: () => forceTapLayout('gathered') },
  { name: 'tap GEMMs, automatic layout', pin: () => forceTapLayout(null) },
  { name: 'tap GEMMs, shifted-grid layout, one image per GEMM', pin: () => forceTapLayout('shifted-grid', 1) },
  { name: 'tap GEMMs, gathered layout, one image per GEMM', pin: () => forceTapLayout('gathered', 1) },
  { name: 'dilated-conv formulation', pin: () => forceFilterGradMethod('dilated-conv') },
];

for (const variant of VARIANTS) {
  test(`Conv2DBackpropFilter matches cpu (${variant.name})`, async (t) => {
    variant.pin();
    useEngine('wasm');
    t.after(() => {
      useEngine(null);
      forceTapLayout(null);
      forceFilterGradMethod('tap-gemm');
    });
    for (const [i, [xShape, filterShape, stride, pad]] of CASES.entries()) {
      const err = await errorFor(xShape, filterShape, stride, pad, 100 + i);
      assert.ok(err <= TOLERANCE, `x [${xShape}] w [${filterShape}] stride ${stride} ${pad}: relative error ${err}`);
    }
  });
}

test('Conv2DBackpropFilter matches cpu on random shapes (property)', async () => {
  const shapes = fc
    .record({
      ...CONV_SHAPE,
      layout: fc.constantFrom<TapLayoutName>('shifted-grid', 'gathered'),
      maxK: fc.constantFrom<number | null>(null, 1, 60),
    })
    .filter(fits);
  useEngine('wasm');
  try {
    await fc.assert(
      fc.asyncProperty(shapes, async (s) => {
        forceTapLayout(s.layout, s.maxK);
        const err = await errorFor([s.n, s.h, s.w, s.ci], [s.kh, s.kw, s.ci, s.co], s.stride, s.pad, s.seed);
        return err <= TOLERANCE;
      }),
      { numRuns: 30, seed: 4242 },
    );
  } finally {
    forceTapLayout(null);
    useEngine(null);
  }
});
