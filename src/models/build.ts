import type * as tfl from '@tensorflow/tfjs-layers';
import { PrivmedError } from '../common/errors.js';
import { resnet18 } from './resnet.js';
import { scatterCnn } from './scatter-cnn.js';
import { smallCnn } from './small-cnn.js';
import { unet } from './unet.js';
import type { ModelSpec } from './spec.js';

export function buildModel(spec: ModelSpec): tfl.LayersModel {
  const [h, w, c] = spec.inputShape;
  if (h < 8 || w < 8 || c < 1) throw new PrivmedError(`model input ${h}x${w}x${c} is too small (at least 8x8x1)`);
  if (spec.numClasses < 2) throw new PrivmedError(`a classifier needs at least 2 classes, got ${spec.numClasses}`);
  switch (spec.arch) {
    case 'small-cnn':
      return smallCnn(spec);
    case 'resnet18':
      return resnet18(spec);
    case 'unet':
      return unet(spec);
    case 'scatter-cnn':
      return scatterCnn(spec);
    default:
      throw new PrivmedError(`unknown architecture '${String(spec.arch)}' (use small-cnn, scatter-cnn, resnet18 or unet)`);
  }
}
