/**
 * The default training augmentations, built from the preprocessing module.
 * X-rays: small shifts and rotations (no flips: anatomy is not symmetric)
 * and +-10% brightness/contrast. Histology tiles have no orientation: flips
 * and quarter turns. Both run after normalisation, so the affine fill value
 * 0 is the dataset mean (HED stain jitter needs [0, 1] RGB and is a
 * preprocessing-spec step instead).
 */
import type { DatasetInfo, Transform } from '../data/dataset.js';
import { buildAugmentation } from '../data/preprocess/build.js';

export type AugmentationKind = boolean | 'xray' | 'histology';

export function defaultAugmentation(info: Pick<DatasetInfo, 'height' | 'width' | 'channels'>, kind: AugmentationKind = 'xray'): Transform | undefined {
  if (kind === false) return undefined;
  const channels = info.channels === 3 ? 3 : 1;
  const input = { height: info.height, width: info.width, channels } as const;
  if (kind === 'histology') {
    return buildAugmentation({ version: 1, input, augment: { flipHorizontal: 0.5, flipVertical: 0.5, rot90: info.height === info.width } });
  }
  return buildAugmentation({ version: 1, input, augment: { affine: { translate: 0.07, rotateDeg: 5 }, brightness: 0.1, contrast: 0.1 } });
}
