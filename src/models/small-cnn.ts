/**
 * The small CNN of the benchmarks: conv 32/64/64 3x3 (+ 2x2 max-pool each), dense 64.
 * `width` (first block's filters, default 32) and `depth` (blocks, default 3)
 * widen and deepen it for larger inputs: the filters double per block up to the
 * second-to-last (depth 4, width 32: 32/64/128/128). `head: 'gap'` averages
 * each channel over the image before the dense layer: orderless, as texture is,
 * and with far fewer weights than the flattened map.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { convBlock } from './layers.js';
import type { ModelSpec } from './spec.js';

export function smallCnn(spec: ModelSpec): tfl.LayersModel {
  const input = tfl.input({ shape: spec.inputShape, name: 'image' });
  let x: tfl.SymbolicTensor = input;
  const w = spec.width ?? 32;
  const depth = spec.depth ?? 3;
  const filters = Array.from({ length: depth }, (_, i) => w * 2 ** Math.min(i, Math.max(depth - 2, 0)));
  filters.forEach((filters, i) => {
    x = convBlock(x, { filters, kernel: 3, stride: 1, norm: spec.norm, name: `block${i + 1}` });
    x = tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `block${i + 1}_pool` }).apply(x) as tfl.SymbolicTensor;
  });
  x = (spec.head === 'gap' ? tfl.layers.globalAveragePooling2d({ name: 'gap' }) : tfl.layers.flatten({ name: 'flatten' })).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.dense({ units: 64, activation: 'relu', kernelInitializer: 'heNormal', name: 'fc' }).apply(x) as tfl.SymbolicTensor;
  const logits = tfl.layers.dense({ units: spec.numClasses, name: 'logits' }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: logits, name: 'small_cnn' });
}
