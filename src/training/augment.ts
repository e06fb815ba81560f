/**
 * The default training augmentations, built from the preprocessing module.
 * X-rays: small shifts and rotations (no flips: anatomy is not symmetric)
 * and +-10% brightness/contrast. Histology tiles have no orientation: flips
 * and quarter turns. Both run after normalisation, so the affine fill value
 * 0 is the dataset mean.
 *
 * 'histology-strong' adds a random zoom-in crop (scale 1-1.2, shifted up to
 * 5%) after normalisation, and a colour step on the [0, 1] pixels before it
 * (`pixelAugmentation`): HED stain jitter (Tellez et al. 2018, 'HED-light')
 * and small brightness/contrast changes, which need unnormalised RGB.
 */
import type { DatasetInfo, Transform } from '../data/dataset.js';
import { buildAugmentation } from '../data/preprocess/build.js';

export type AugmentationKind = boolean | 'xray' | 'histology' | 'histology-strong';

type Shape = Pick<DatasetInfo, 'height' | 'width' | 'channels'>;

export function defaultAugmentation(info: Shape, kind: AugmentationKind = 'xray'): Transform | undefined {
  if (kind === false) return undefined;
  const channels = info.channels === 3 ? 3 : 1;
  const input = { height: info.height, width: info.width, channels } as const;
  if (kind === 'histology' || kind === 'histology-strong') {
    const crop = kind === 'histology-strong' ? { affine: { scale: [1, 1.2] as [number, number], translate: 0.05, p: 0.5 } } : {};
    return buildAugmentation({ version: 1, input, augment: { ...crop, flipHorizontal: 0.5, flipVertical: 0.5, rot90: info.height === info.width } });
  }
  return buildAugmentation({ version: 1, input, augment: { affine: { translate: 0.07, rotateDeg: 5 }, brightness: 0.1, contrast: 0.1 } });
}

/** The augmentation of [0, 1] pixels before normalisation (colour): only 'histology-strong' on RGB has one. */
export function pixelAugmentation(info: Shape, kind: AugmentationKind = 'xray'): Transform | undefined {
  if (kind !== 'histology-strong' || info.channels !== 3) return undefined;
  const input = { height: info.height, width: info.width, channels: 3 } as const;
  return buildAugmentation({ version: 1, input, augment: { hed: { sigma: 0.05, bias: 0.02 }, brightness: 0.05, contrast: 0.1 } });
}
