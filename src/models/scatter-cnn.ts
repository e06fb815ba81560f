/**
 * A small CNN on fixed scattering features (Tramer & Boneh 2021): scattering
 * J = 2, L = 8 (81 channels per input channel at 1/4 the resolution), a
 * normalisation of those features, then conv 64 3x3 -> 2x2 max-pool ->
 * conv 64 3x3 -> dense. Under DP the learned part is small and starts from
 * features that already separate edges and textures, so less signal is lost
 * to the noise at small epsilon.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { PrivmedError } from '../common/errors.js';
import { GroupNormalization } from './group-norm.js';
import { convBlock } from './layers.js';
import { Scattering2D, scatteringChannels } from './scattering.js';
import type { ModelSpec } from './spec.js';

const SCATTERING = { scales: 2, angles: 8 } as const;

export function scatterCnn(spec: ModelSpec): tfl.LayersModel {
  const [h, w, c] = spec.inputShape;
  if (h < 16 || w < 16) throw new PrivmedError(`scatter-cnn needs inputs of at least 16x16 (the features are 1/4 the size), got ${h}x${w}`);
  const input = tfl.input({ shape: spec.inputShape, name: 'image' });
  let x = new Scattering2D({ ...SCATTERING, name: 'scattering' }).apply(input) as tfl.SymbolicTensor;
  const channels = c * scatteringChannels(SCATTERING);
  // The features' scales differ by orders of magnitude between orders; one group per order's path family (27 groups of 3 for 81).
  if (spec.norm !== 'none') x = new GroupNormalization({ groups: channels / 3, name: 'scattering_norm' }).apply(x) as tfl.SymbolicTensor;
  x = convBlock(x, { filters: 64, kernel: 3, stride: 1, norm: spec.norm, name: 'block1' });
  x = tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, name: 'block1_pool' }).apply(x) as tfl.SymbolicTensor;
  x = convBlock(x, { filters: 64, kernel: 3, stride: 1, norm: spec.norm, name: 'block2' });
  x = tfl.layers.flatten({ name: 'flatten' }).apply(x) as tfl.SymbolicTensor;
  const logits = tfl.layers.dense({ units: spec.numClasses, name: 'logits' }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: logits, name: 'scatter_cnn' });
}
