import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend.js';
import { randomInput, wasmVsCpu } from './compare.js';

test('Tile matches cpu exactly (batch-norm gradient shape, odd shapes, rank 1..5)', async () => {
  const cases: [number[], number[]][] = [
    [[1, 1, 1, 6], [2, 5, 7, 1]], // what tfjs-core's FusedBatchNorm gradient does
    [[3], [4]],
    [[2, 3], [1, 1]],
    [[2, 3], [3, 2]],
    [[2, 1, 3], [1, 4, 2]],
    [[1, 2, 1, 2, 3], [2, 1, 3, 1, 2]],
  ];
  for (const [i, [shape, reps]] of cases.entries()) {
    const err = await wasmVsCpu([randomInput(shape, 900 + i)], (x) => tf.tile(x, reps));
    assert.equal(err, 0, `shape [${shape}] reps [${reps}]`);
  }
});

test('Tile keeps int32 and bool values', async () => {
  await initBackend('wasm');
  const ints = tf.tile(tf.tensor2d([[1, -2], [3, 4]], [2, 2], 'int32'), [2, 3]);
  assert.deepEqual(await ints.array(), [
    [1, -2, 1, -2, 1, -2],
    [3, 4, 3, 4, 3, 4],
    [1, -2, 1, -2, 1, -2],
    [3, 4, 3, 4, 3, 4],
  ]);
  const bools = tf.tile(tf.tensor1d([true, false], 'bool'), [3]);
  assert.deepEqual(Array.from(await bools.data()), [1, 0, 1, 0, 1, 0]);
  tf.dispose([ints, bools]);
});

test('Tile matches cpu on random shapes (property)', async () => {
  const cases = fc
    .integer({ min: 1, max: 4 })
    .chain((rank) =>
      fc.record({
        shape: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: rank, maxLength: rank }),
        reps: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: rank, maxLength: rank }),
        seed: fc.integer({ min: 0, max: 1e6 }),
      }),
    );
  await fc.assert(
    fc.asyncProperty(cases, async ({ shape, reps, seed }) => (await wasmVsCpu([randomInput(shape, seed)], (x) => tf.tile(x, reps))) === 0),
    { numRuns: 40, seed: 5 },
  );
});
