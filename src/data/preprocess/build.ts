/**
 * Turns a PreprocessingSpec into Transforms: `buildPreprocessing` for
 * inference (resize, centre crop, normalise: deterministic) and
 * `buildAugmentation` for training (the same steps with seeded augmentation
 * inserted before normalisation: geometry, then intensity).
 */
import { PrivmedError } from '../../common/errors.js';
import { Rng } from '../../common/rng.js';
import { TransformedDataset, type Dataset, type DatasetInfo, type Transform } from '../dataset.js';
import type { MedicalImage } from '../images/medical-image.js';
import type { FileDatasetOptions } from '../images/file-dataset.js';
import { convertChannels } from './channels.js';
import { centerCrop } from './crop.js';
import { pixelCount, type ImageShape } from './image-shape.js';
import { normalizeInPlace } from './normalize.js';
import { resizeHwc } from './resize.js';
import type { PreprocessingSpec } from './spec.js';
import { randomAffine } from './augment/affine.js';
import { elasticDeform } from './augment/elastic.js';
import { flipHorizontal, flipVertical, rotate90 } from './augment/flip.js';
import { randomHed } from '../stain/hed.js';
import { applyStain } from '../stain/stain-spec.js';
import { gaussianNoise, randomBrightness, randomContrast, randomGamma } from './augment/intensity.js';

export function outputShape(spec: PreprocessingSpec): ImageShape {
  const hw = spec.centerCrop ?? spec.resize ?? spec.input;
  return { height: hw.height, width: hw.width, channels: spec.input.channels };
}

function geometry(spec: PreprocessingSpec, image: Float32Array): Float32Array {
  const inShape = spec.input;
  if (image.length !== pixelCount(inShape)) throw new PrivmedError(`preprocessing expects ${inShape.height}x${inShape.width}x${inShape.channels} images, got ${image.length} values`);
  let img = image;
  let shape: ImageShape = { ...inShape };
  if (spec.resize) {
    img = resizeHwc(img, shape.height, shape.width, shape.channels, spec.resize.height, spec.resize.width, spec.resize.method ?? 'linear');
    shape = { ...shape, height: spec.resize.height, width: spec.resize.width };
  }
  if (spec.centerCrop) img = centerCrop(img, shape, spec.centerCrop.height, spec.centerCrop.width);
  return img === image ? image.slice() : img;
}

function augment(spec: PreprocessingSpec, img: Float32Array, shape: ImageShape, rng: Rng): Float32Array {
  const a = spec.augment;
  if (!a) return img;
  // each step draws from its own fork, so enabling one does not change the others' randomness
  if (a.affine) img = randomAffine(img, shape, a.affine, rng.fork(1));
  if (a.elastic) img = elasticDeform(img, shape, a.elastic, rng.fork(2));
  if (a.flipHorizontal !== undefined && rng.fork(3).next() < a.flipHorizontal) img = flipHorizontal(img, shape);
  if (a.flipVertical !== undefined && rng.fork(4).next() < a.flipVertical) img = flipVertical(img, shape);
  if (a.rot90) img = rotate90(img, shape, rng.fork(9).int(4));
  if (a.hed && rng.fork(10).next() < (a.hed.p ?? 1)) img = randomHed(img, a.hed, rng.fork(11));
  if (a.brightness) img = randomBrightness(img, a.brightness, rng.fork(5));
  if (a.contrast) img = randomContrast(img, a.contrast, rng.fork(6));
  if (a.gamma) img = randomGamma(img, a.gamma, rng.fork(7));
  if (a.noise) {
    const r = rng.fork(8);
    if (r.next() < (a.noise.p ?? 1)) img = gaussianNoise(img, a.noise.std, r);
  }
  return img;
}

/** The inference transform: resize, centre crop, normalise. */
export function buildPreprocessing(spec: PreprocessingSpec): Transform {
  const out = outputShape(spec);
  return (sample) => {
    const img = geometry(spec, sample.image);
    if (spec.normalize) normalizeInPlace(img, out.channels, spec.normalize);
    return { image: img, label: sample.label };
  };
}

/** The training transform: the inference steps with seeded augmentation before normalisation. */
export function buildAugmentation(spec: PreprocessingSpec): Transform {
  const out = outputShape(spec);
  return (sample, rng) => {
    const img = augment(spec, geometry(spec, sample.image), out, rng);
    if (spec.normalize) normalizeInPlace(img, out.channels, spec.normalize);
    return { image: img, label: sample.label };
  };
}

/** A dataset with preprocessing (and, for training, augmentation) applied; info reflects the output shape. */
export function preprocessedDataset(ds: Dataset, spec: PreprocessingSpec, opts: { train: boolean; seed: number }): TransformedDataset {
  const { height, width, channels } = spec.input;
  if (ds.info.height !== height || ds.info.width !== width || ds.info.channels !== channels) {
    throw new PrivmedError(`dataset delivers ${ds.info.height}x${ds.info.width}x${ds.info.channels}, the preprocessing spec expects ${height}x${width}x${channels}`);
  }
  const out = outputShape(spec);
  const info: DatasetInfo = { ...ds.info, height: out.height, width: out.width };
  return new TransformedDataset(ds, opts.train ? buildAugmentation(spec) : buildPreprocessing(spec), opts.seed, info);
}

/** A single decoded image (e.g. a file given to `predict`) brought to the spec's input shape, then preprocessed. */
export function preprocessImage(img: MedicalImage, spec: PreprocessingSpec): Float32Array {
  const pixels = img.rows * img.cols;
  const conv = convertChannels(img.data.subarray(0, pixels * img.channels), pixels, img.channels, spec.input.channels);
  let sized = resizeHwc(conv, img.rows, img.cols, spec.input.channels, spec.input.height, spec.input.width, 'linear');
  // As the file dataset does: stain after sizing to the input.
  if (spec.stain) sized = applyStain(sized, spec.stain);
  return buildPreprocessing(spec)({ image: sized, label: -1 }, new Rng(0)).image;
}

/** How a file dataset (or `predict` on a file) must read images for this spec. */
export function fileOptionsFromSpec(spec: PreprocessingSpec): FileDatasetOptions {
  return {
    height: spec.input.height,
    width: spec.input.width,
    channels: spec.input.channels,
    intensity: spec.read?.intensity ?? 'auto',
    ...(spec.stain ? { stain: spec.stain } : {}),
    ...(spec.read?.niftiAxis !== undefined ? { niftiSlice: { axis: spec.read.niftiAxis } } : {}),
    ...(spec.read?.dicomFrame !== undefined ? { dicomFrame: spec.read.dicomFrame } : {}),
  };
}
