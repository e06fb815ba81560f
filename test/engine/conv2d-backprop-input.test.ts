import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import { forceInputGradMethod, type InputGradMethod } from '../../src/engine/kernels/conv2d-backprop-input.js';
import { phasesAlongAxis } from '../../src/engine/kernels/polyphase.js';
import { useEngine } from '../../src/engine/native-addon.js';
import { CONV_SHAPE, convOutShape, fits, randomInput, TOLERANCE, wasmVsCpu } from './compare.js';

// These pin the wasm formulations, so they run on the wasm engine (native.test.ts covers the add-on).

type Pad = 'same' | 'valid';

async function errorFor(xShape: number[], filterShape: number[], stride: number, pad: Pad, seed: number): Promise<number> {
  const dyShape = convOutShape(xShape, filterShape, stride, pad);
  return wasmVsCpu([randomInput(dyShape, seed), randomInput(filterShape, seed + 1)], (dy, filter) =>
    tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { strides: stride, pad, dataFormat: 'NHWC', inputShape: xShape } as never) as tf.Tensor,
  );
}

const CASES: [number[], number[], number, Pad][] = [
  [[2, 7, 9, 3], [3, 3, 3, 5], 1, 'same'],
  [[2, 7, 9, 3], [3, 3, 3, 5], 2, 'same'],
  [[2, 7, 9, 3], [3, 3, 3, 5], 2, 'valid'],
  [[1, 8, 8, 4], [1, 1, 4, 6], 2, 'same'],
  [[1, 9, 9, 5], [1, 1, 5, 3], 1, 'valid'],
  [[1, 13, 11, 2], [7, 7, 2, 4], 2, 'same'],
  [[3, 10, 10, 5], [7, 7, 5, 4], 1, 'valid'],
  [[1, 11, 6, 3], [2, 4, 3, 2], 3, 'same'],
  [[2, 12, 12, 16], [3, 3, 16, 24], 2, 'same'],
];

for (const method of ['polyphase', 'col2im', 'auto'] as InputGradMethod[]) {
  test(`Conv2DBackpropInput matches cpu (${method})`, async (t) => {
    forceInputGradMethod(method);
    useEngine('wasm');
    t.after(() => {
      forceInputGradMethod('auto');
      useEngine(null);
    });
    for (const [i, [xShape, filterShape, stride, pad]] of CASES.entries()) {
      const err = await errorFor(xShape, filterShape, stride, pad, 200 + i);
      assert.ok(err <= TOLERANCE, `x [${xShape}] w [${filterShape}] stride ${stride} ${pad}: relative error ${err}`);
    }
  });
}

test('Conv2DBackpropInput matches cpu on random shapes (property)', async () => {
  const shapes = fc
    .record({
      ...CONV_SHAPE,
      method: fc.constantFrom<InputGradMethod>('polyphase', 'col2im'),
    })
    .filter(fits);
  useEngine('wasm');
  try {
    await fc.assert(
      fc.asyncProperty(shapes, async (s) => {
        forceInputGradMethod(s.method);
        return (await errorFor([s.n, s.h, s.w, s.ci], [s.kh, s.kw, s.ci, s.co], s.stride, s.pad, s.seed)) <= TOLERANCE;
      }),
      { numRuns: 30, seed: 777 },
    );
  } finally {
    forceInputGradMethod('auto');
    useEngine(null);
  }
});

test('polyphase split covers every input row once and every filter tap once', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 6 }),
      (inSize, filterSize, stride, padBefore) => {
        const outSize = Math.floor((inSize + padBefore - filterSize) / stride) + 1;
        if (outSize < 1) return true;
        const phases = phasesAlongAxis(inSize, filterSize, stride, padBefore, outSize);
        const rows = phases.flatMap((p) => Array.from({ length: p.count }, (_, u) => p.start + stride * u)).sort((a, b) => a - b);
        const taps = phases.flatMap((p) => Array.from({ length: p.taps }, (_, m) => p.firstTap + stride * m)).sort((a, b) => a - b);
        assert.deepEqual(rows, Array.from({ length: inSize }, (_, i) => i));
        // With every residue present, each filter tap is used by exactly one phase.
        if (inSize >= stride) assert.deepEqual(taps, Array.from({ length: filterSize }, (_, k) => k));
        return true;
      },
    ),
    { numRuns: 200, seed: 99 },
  );
});
