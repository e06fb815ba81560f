/** Small models for the DP tests: every layer kind the per-sample strategies must handle. */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { buildModel } from '../../src/models/build.js';
import { convBlock } from '../../src/models/layers.js';
import { initWeights } from '../../src/training/init.js';
import type { Norm } from '../../src/models/spec.js';

type ST = tfl.SymbolicTensor;

export function smallCnn(norm: Norm = 'group', size = 8, seed = 3): tfl.LayersModel {
  const model = buildModel({ arch: 'small-cnn', inputShape: [size, size, 1], numClasses: 2, norm });
  initWeights(model, seed);
  return model;
}

/**
 * A ResNet-like model: stride-2 conv blocks with GroupNorm, a residual add with
 * a 1x1 stride-2 shortcut, a strided 'valid' conv with bias and activation,
 * LayerNorm, global average pooling and dense layers.
 */
export function tinyResNet(norm: Norm = 'group', seed = 5): tfl.LayersModel {
  const input = tfl.input({ shape: [10, 10, 2], name: 'image' });
  const stem = convBlock(input, { filters: 4, kernel: 3, stride: 1, norm, name: 'stem' });
  const a = convBlock(stem, { filters: 8, kernel: 3, stride: 2, norm, name: 'res_a' });
  const b = convBlock(a, { filters: 8, kernel: 3, stride: 1, norm, name: 'res_b', relu: false });
  const shortcut = convBlock(stem, { filters: 8, kernel: 1, stride: 2, norm, name: 'res_down', relu: false });
  let x = tfl.layers.reLU({ name: 'res_out' }).apply(tfl.layers.add({ name: 'res_add' }).apply([b, shortcut]) as ST) as ST;
  x = tfl.layers.conv2d({ filters: 6, kernelSize: 2, strides: 2, padding: 'valid', activation: 'tanh', name: 'valid_conv' }).apply(x) as ST;
  x = tfl.layers.layerNormalization({ name: 'ln' }).apply(x) as ST;
  x = tfl.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as ST;
  x = tfl.layers.dense({ units: 5, activation: 'relu', name: 'fc' }).apply(x) as ST;
  const logits = tfl.layers.dense({ units: 3, name: 'logits' }).apply(x) as ST;
  const model = tfl.model({ inputs: input, outputs: logits, name: 'tiny_resnet' });
  initWeights(model, seed);
  // initWeights zeroes the residual branch's last GroupNorm scale; give it values so its gradients are exercised.
  const gamma = model.getLayer('res_b_norm');
  if (gamma.getWeights().length) gamma.setWeights(gamma.getWeights().map((w) => tf.add(w, 0.7)));
  return model;
}
