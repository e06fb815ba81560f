/**
 * Config sections that `privmed train` and a federation site share, written
 * once. The model's default architecture differs on purpose: a local run
 * defaults to PriMIA's ResNet-18, a site to the small CNN that a federation
 * of many rounds on hospital CPUs can afford.
 */
import { z } from 'zod';
import { StainConfigSchema } from '../data/stain/stain-spec.js';

/** A MedMNIST name (pneumoniamnist) or .npz file, or image folders (kather2016, or DIR with train/ and test/). */
export const datasetFields = {
  dataset: z.string().min(1).default('pneumoniamnist'),
  root: z.string().optional(),
  /** Image folders: resize to size x size. */
  size: z.number().int().positive().optional(),
  /** Image folders: stain normalisation (reinhard or macenko) to a reference tile or its statistics. */
  stain: StainConfigSchema.optional(),
};

/** Training augmentation: true (the X-ray default), false, or a named set (src/training/augment.ts). */
export const augmentField = z.union([z.boolean(), z.enum(['xray', 'histology', 'histology-strong'])]).default(true);

export function modelSection(defaultArch: 'small-cnn' | 'resnet18') {
  return z
    .strictObject({
      arch: z.enum(['small-cnn', 'scatter-cnn', 'resnet18', 'unet']).default(defaultArch),
      norm: z.enum(['batch', 'group', 'none']).default('group'),
      /** U-Net: poolings and first-level filters; small CNN: conv blocks (default 3) and first filters (default 32). */
      depth: z.number().int().min(1).max(6).optional(),
      width: z.number().int().positive().optional(),
      /** Small CNN: 'flatten' (default) or 'gap' (global average pooling before the dense layer). */
      head: z.enum(['flatten', 'gap']).optional(),
    })
    .prefault({});
}

/** Test-time augmentation stored with the model, so that predict and evaluate apply it: 'dihedral' averages the 8 flips and quarter turns. */
export const ttaField = z.enum(['dihedral']).optional();

/** Label smoothing of the training loss: targets (1 - s) one-hot + s / K; 0 is off. */
export const labelSmoothingField = z.number().min(0).lt(1).default(0);

/** The model section's depth, width and head, where given, for a ModelSpec. */
export function sizeOf(m: { depth?: number | undefined; width?: number | undefined; head?: 'flatten' | 'gap' | undefined }): {
  depth?: number;
  width?: number;
  head?: 'flatten' | 'gap';
} {
  return {
    ...(m.depth !== undefined ? { depth: m.depth } : {}),
    ...(m.width !== undefined ? { width: m.width } : {}),
    ...(m.head !== undefined ? { head: m.head } : {}),
  };
}

export const backendField = z.enum(['wasm', 'cpu', 'tensorflow']).default('wasm');
