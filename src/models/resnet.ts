/**
 * ResNet-18 (He et al. 2016). Inputs up to 64 px get the CIFAR/MedMNIST stem
 * (3x3 stride-1 conv, no max-pool) so 28 px images keep spatial resolution;
 * larger inputs get the ImageNet stem (7x7 stride 2 + 3x3 max-pool).
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { convBlock } from './layers.js';
import type { ModelSpec, Norm } from './spec.js';

type ST = tfl.SymbolicTensor;

function basicBlock(x: ST, filters: number, stride: number, norm: Norm, name: string): ST {
  const inChannels = x.shape[x.shape.length - 1];
  let y = convBlock(x, { filters, kernel: 3, stride, norm, name: `${name}_a` });
  y = convBlock(y, { filters, kernel: 3, stride: 1, norm, name: `${name}_b`, relu: false });
  const shortcut = stride !== 1 || inChannels !== filters ? convBlock(x, { filters, kernel: 1, stride, norm, name: `${name}_down`, relu: false }) : x;
  const sum = tfl.layers.add({ name: `${name}_add` }).apply([y, shortcut]) as ST;
  return tfl.layers.reLU({ name: `${name}_out` }).apply(sum) as ST;
}

export function resnet18(spec: ModelSpec): tfl.LayersModel {
  const input = tfl.input({ shape: spec.inputShape, name: 'image' });
  const small = Math.min(spec.inputShape[0], spec.inputShape[1]) <= 64;
  let x: ST = small
    ? convBlock(input, { filters: 64, kernel: 3, stride: 1, norm: spec.norm, name: 'stem' })
    : convBlock(input, { filters: 64, kernel: 7, stride: 2, norm: spec.norm, name: 'stem' });
  if (!small) x = tfl.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same', name: 'stem_pool' }).apply(x) as ST;
  [64, 128, 256, 512].forEach((filters, stage) => {
    for (let b = 0; b < 2; b++) {
      x = basicBlock(x, filters, stage > 0 && b === 0 ? 2 : 1, spec.norm, `layer${stage + 1}_${b}`);
    }
  });
  x = tfl.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as ST;
  const logits = tfl.layers.dense({ units: spec.numClasses, name: 'logits' }).apply(x) as ST;
  return tfl.model({ inputs: input, outputs: logits, name: 'resnet18' });
}
