/**
 * The moving average of the weights: it follows avg = d * avg + (1 - d) * w
 * step by step, evaluation sees it, and the trained weights come back after.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { WeightAverage } from '../../src/training/weight-average.js';

describe('WeightAverage', () => {
  it('averages the weights after each step, swaps the average in and the trained weights back', async () => {
    await tf.setBackend('cpu');
    const w = tf.variable(tf.tensor1d([0, 10]));
    const avg = new WeightAverage([w], 0.5);
    avg.update(); // starts at (0, 10)
    w.assign(tf.tensor1d([4, 2]));
    avg.update(); // 0.5 * (0, 10) + 0.5 * (4, 2) = (2, 6)
    w.assign(tf.tensor1d([6, 6]));
    avg.update(); // (4, 6)
    const seen = await avg.swapIn(async () => [...(await w.data())]);
    assert.deepEqual(seen, [4, 6]);
    assert.deepEqual([...(await w.data())], [6, 6], 'the trained weights are back');
    await assert.rejects(avg.swapIn(async () => {
      throw new Error('evaluation failed');
    }));
    assert.deepEqual([...(await w.data())], [6, 6], 'and back after an error too');
    avg.reset();
    assert.deepEqual(await avg.swapIn(async () => [...(await w.data())]), [6, 6], 'after a reset there is no average yet');
    assert.throws(() => new WeightAverage([w], 1), /decay must lie in \(0, 1\), got 1/);
    avg.dispose();
    w.dispose();
  });
});
