import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { Rng } from '../../src/common/rng.js';

/** Random weights with non-trivial BatchNorm statistics (so that folding is really tested). */
export function randomiseWeights(model: tfl.LayersModel, seed: number): void {
  const rng = new Rng(seed);
  const values = model.weights.map((w) => {
    const shape = w.shape as number[];
    const size = shape.reduce((a, b) => a * b, 1);
    const name = w.originalName ?? w.name;
    const fanIn = shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const gen = (): number => {
      if (/kernel/.test(name)) return rng.normal() * Math.sqrt(2 / fanIn);
      if (/gamma/.test(name)) return 0.5 + rng.next();
      if (/moving_variance/.test(name)) return 0.5 + 1.5 * rng.next();
      return rng.normal() * 0.1; // bias, beta, moving mean
    };
    return tf.tensor(Float32Array.from({ length: size }, gen), shape);
  });
  model.setWeights(values);
  tf.dispose(values);
}

/** A small residual network with every layer kind ResNet-18 at 224 px uses. */
export function miniResnet(size: number, classes: number): tfl.LayersModel {
  const input = tfl.input({ shape: [size, size, 1], name: 'image' });
  const conv = (x: tfl.SymbolicTensor, filters: number, kernel: number, stride: number, name: string, relu: boolean): tfl.SymbolicTensor => {
    let y = tfl.layers.conv2d({ filters, kernelSize: kernel, strides: stride, padding: 'same', useBias: false, name: `${name}_conv` }).apply(x) as tfl.SymbolicTensor;
    y = tfl.layers.batchNormalization({ name: `${name}_norm`, epsilon: 1e-5 }).apply(y) as tfl.SymbolicTensor;
    return relu ? (tfl.layers.reLU({ name: `${name}_relu` }).apply(y) as tfl.SymbolicTensor) : y;
  };
  let x = conv(input, 8, 3, 1, 'stem', true);
  x = tfl.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same', name: 'stem_pool' }).apply(x) as tfl.SymbolicTensor;
  const a = conv(conv(x, 16, 3, 2, 'b_a', true), 16, 3, 1, 'b_b', false);
  const s = conv(x, 16, 1, 2, 'b_down', false);
  x = tfl.layers.add({ name: 'b_add' }).apply([a, s]) as tfl.SymbolicTensor;
  x = tfl.layers.reLU({ name: 'b_out' }).apply(x) as tfl.SymbolicTensor;
  const a2 = conv(conv(x, 16, 3, 1, 'c_a', true), 16, 3, 1, 'c_b', false);
  x = tfl.layers.add({ name: 'c_add' }).apply([a2, x]) as tfl.SymbolicTensor;
  x = tfl.layers.reLU({ name: 'c_out' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as tfl.SymbolicTensor;
  const logits = tfl.layers.dense({ units: classes, name: 'logits' }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: logits, name: 'mini_resnet' });
}

export function floatLogits(model: tfl.LayersModel, x: Float32Array): Float32Array {
  const [, h, w, c] = model.inputs[0]!.shape as number[];
  return tf.tidy(() => (model.predict(tf.tensor4d(x, [1, h!, w!, c!])) as tf.Tensor).dataSync() as Float32Array);
}
