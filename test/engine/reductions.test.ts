import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import { randomInput, TOLERANCE, wasmVsCpu } from './compare.js';

test('Sum and Mean over leading axes (and others, via the built-in) match cpu', async () => {
  const cases: [number[], number | number[], boolean][] = [
    [[4, 5, 6, 7], [0, 1, 2], false], // bias / batch-norm gradient
    [[4, 5, 6, 7], [0, 1, 2], true], // moments keep dims
    [[3, 9], 0, false],
    [[3, 4, 5], [1, 0], true], // unsorted leading axes
    [[2, 3, 4], [0, 1, 2], false], // everything -> scalar
    [[2, 6, 3, 4], [1, 3], true], // group norm: not contiguous, built-in path
    [[3, 5, 6, 7], [1, 2], false], // per-sample sums: a middle run
    [[3, 5, 6, 7], [2, 1], true],
    [[5, 4], -1, false], // last axis: built-in path
  ];
  for (const [i, [shape, axis, keepDims]] of cases.entries()) {
    const err = await wasmVsCpu([randomInput(shape, 700 + i)], (x) => [tf.sum(x, axis, keepDims), tf.mean(x, axis, keepDims)]);
    assert.ok(err <= TOLERANCE, `shape [${shape}] axis ${axis} keepDims ${keepDims}: relative error ${err}`);
  }
});

test('leading-axes reductions keep the output shape of the built-in kernels', async () => {
  await wasmVsCpu([randomInput([2, 3, 4, 5], 1)], (x) => {
    assert.deepEqual(tf.sum(x, [0, 1, 2], true).shape, [1, 1, 1, 5]);
    assert.deepEqual(tf.mean(x, [1, 0]).shape, [4, 5]);
    assert.deepEqual(tf.sum(x).shape, []);
    return tf.sum(x);
  });
});

test('Sum and Mean match cpu on random shapes and leading axes (property)', async () => {
  const cases = fc.record({
    shape: fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 4 }),
    lead: fc.integer({ min: 1, max: 4 }),
    keepDims: fc.boolean(),
    seed: fc.integer({ min: 0, max: 1e6 }),
  });
  await fc.assert(
    fc.asyncProperty(cases, async ({ shape, lead, keepDims, seed }) => {
      const axes = Array.from({ length: Math.min(lead, shape.length) }, (_, i) => i);
      return (await wasmVsCpu([randomInput(shape, seed)], (x) => [tf.sum(x, axes, keepDims), tf.mean(x, axes, keepDims)])) <= TOLERANCE;
    }),
    { numRuns: 30, seed: 8 },
  );
});
