/**
 * A 2-D U-Net (Ronneberger et al. 2015) for slices and X-rays: `depth`
 * poolings, `width` filters at the top level doubling per level, two conv ->
 * norm -> ReLU blocks per level. Upsampling is nearest-neighbour followed by
 * a 3x3 convolution (no transposed convolution: no checkerboard artefacts,
 * and every weighted layer is a Conv2D, which DP-SGD's vectorised per-sample
 * rules cover). GroupNorm by default so that per-sample gradients exist.
 * Output: per-pixel logits [N, H, W, classes]. H and W must be multiples of
 * 2^depth (the data pads them).
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { PrivmedError } from '../common/errors.js';
import { convBlock } from './layers.js';
import type { ModelSpec } from './spec.js';

type T = tfl.SymbolicTensor;

export function unet(spec: ModelSpec): tfl.LayersModel {
  const depth = spec.depth ?? 3;
  const width = spec.width ?? 16;
  const [h, w] = spec.inputShape;
  const m = 2 ** depth;
  if (!Number.isInteger(depth) || depth < 1 || depth > 6) throw new PrivmedError(`model.depth must be an integer from 1 to 6, got ${depth}`);
  if (h % m !== 0 || w % m !== 0) throw new PrivmedError(`a U-Net of depth ${depth} needs input sides that are multiples of ${m}, got ${h}x${w}`, { hint: 'pad the images (segmentation.patch)' });
  const norm = spec.norm;
  const input = tfl.input({ shape: spec.inputShape, name: 'image' });
  const double = (x: T, filters: number, name: string): T =>
    convBlock(convBlock(x, { filters, kernel: 3, stride: 1, norm, name: `${name}a` }), { filters, kernel: 3, stride: 1, norm, name: `${name}b` });
  const skips: T[] = [];
  let x: T = input;
  for (let l = 0; l < depth; l++) {
    x = double(x, width * 2 ** l, `enc${l}`);
    skips.push(x);
    x = tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `enc${l}_pool` }).apply(x) as T;
  }
  x = double(x, width * 2 ** depth, 'bottom');
  for (let l = depth - 1; l >= 0; l--) {
    x = tfl.layers.upSampling2d({ size: [2, 2], name: `dec${l}_up` }).apply(x) as T;
    x = convBlock(x, { filters: width * 2 ** l, kernel: 3, stride: 1, norm, name: `dec${l}_upconv` });
    x = tfl.layers.concatenate({ axis: -1, name: `dec${l}_concat` }).apply([skips[l]!, x]) as T;
    x = double(x, width * 2 ** l, `dec${l}`);
  }
  const logits = tfl.layers.conv2d({ filters: spec.numClasses, kernelSize: 1, padding: 'same', name: 'logits' }).apply(x) as T;
  return tfl.model({ inputs: input, outputs: logits, name: 'unet' });
}
