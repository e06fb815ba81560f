/**
 * The default training augmentation for X-rays, built from the preprocessing
 * module: small shifts and rotations (no flips: anatomy is not symmetric) and
 * +-10% brightness/contrast. Applied after normalisation, so the affine fill
 * value 0 is the dataset mean.
 */
import type { DatasetInfo, Transform } from '../data/dataset.js';
import { buildAugmentation } from '../data/preprocess/build.js';

export function defaultAugmentation(info: Pick<DatasetInfo, 'height' | 'width' | 'channels'>): Transform {
  const channels = info.channels === 3 ? 3 : 1;
  return buildAugmentation({
    version: 1,
    input: { height: info.height, width: info.width, channels },
    augment: { affine: { translate: 0.07, rotateDeg: 5 }, brightness: 0.1, contrast: 0.1 },
  });
}
