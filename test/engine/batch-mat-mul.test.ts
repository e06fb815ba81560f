import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import { randomInput, TOLERANCE, wasmVsCpu } from './compare.js';

async function errorFor(aShape: number[], bShape: number[], transposeA: boolean, transposeB: boolean, seed: number): Promise<number> {
  return wasmVsCpu([randomInput(aShape, seed), randomInput(bShape, seed + 1)], (a, b) => tf.matMul(a, b, transposeA, transposeB));
}

test('BatchMatMul with transposes matches cpu (2-D, unit batch, broadcast and true batches)', async () => {
  const cases: [number[], number[], boolean, boolean][] = [
    [[5, 7], [5, 3], true, false], // x^T dy: dense weight gradient
    [[4, 6], [9, 6], false, true], // dy W^T: dense input gradient
    [[6, 4], [9, 6], true, true],
    [[4, 6], [6, 9], false, false],
    [[1, 33, 17], [1, 33, 5], true, false],
    [[1, 8, 13], [13, 21], false, false],
    [[1, 8, 13], [1, 21, 13], false, true],
    [[3, 4, 5], [3, 4, 6], true, false], // batched: handled by the built-in kernel
    [[1, 1], [1, 1], true, true],
  ];
  for (const [i, [aShape, bShape, tA, tB]] of cases.entries()) {
    const err = await errorFor(aShape, bShape, tA, tB, 300 + i);
    assert.ok(err <= TOLERANCE, `a [${aShape}] b [${bShape}] tA=${tA} tB=${tB}: relative error ${err}`);
  }
});

test('BatchMatMul matches cpu on random shapes (property)', async () => {
  const dims = fc.record({
    m: fc.integer({ min: 1, max: 40 }),
    k: fc.integer({ min: 1, max: 40 }),
    n: fc.integer({ min: 1, max: 40 }),
    tA: fc.boolean(),
    tB: fc.boolean(),
    seed: fc.integer({ min: 0, max: 1e6 }),
  });
  await fc.assert(
    fc.asyncProperty(dims, async ({ m, k, n, tA, tB, seed }) => {
      const err = await errorFor(tA ? [k, m] : [m, k], tB ? [n, k] : [k, n], tA, tB, seed);
      return err <= TOLERANCE;
    }),
    { numRuns: 30, seed: 31337 },
  );
});
