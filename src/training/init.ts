/**
 * Seeded weight initialisation: tfjs-layers initialisers draw from an unseeded
 * generator, so privmed re-draws every weight from its own Rng to make a run
 * reproducible from its seed (He-normal kernels, zero biases, unit scales).
 * The last norm of each residual branch starts at zero (Goyal et al. 2017), so
 * a deep ResNet starts as a shallow one and early losses stay sane.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../common/rng.js';

export function initWeights(model: tfl.LayersModel, seed: number): void {
  const rng = new Rng(seed);
  const values = model.weights.map((w) => {
    const shape = w.shape as number[];
    const size = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    const name = w.originalName ?? w.name;
    if (/kernel/.test(name)) {
      const fanIn = shape.slice(0, -1).reduce((a, b) => a * b, 1);
      const std = Math.sqrt(2 / fanIn);
      for (let i = 0; i < size; i++) data[i] = rng.normal() * std;
    } else if (/_b_norm\/gamma/.test(name)) data.fill(0);
    else if (/gamma|moving_variance/.test(name)) data.fill(1);
    return tf.tensor(data, shape);
  });
  model.setWeights(values);
  tf.dispose(values);
}
