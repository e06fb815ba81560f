/**
 * Config sections that `privmed train` and a federation site share, written
 * once. The model's default architecture differs on purpose: a local run
 * defaults to PriMIA's ResNet-18, a site to the small CNN that a federation
 * of many rounds on hospital CPUs can afford.
 */
import { z } from 'zod';

/** A MedMNIST name under the data root (pneumoniamnist) or a path to an .npz file. */
export const datasetFields = {
  dataset: z.string().min(1).default('pneumoniamnist'),
  root: z.string().optional(),
};

export function modelSection(defaultArch: 'small-cnn' | 'resnet18') {
  return z
    .strictObject({
      arch: z.enum(['small-cnn', 'resnet18']).default(defaultArch),
      norm: z.enum(['batch', 'group', 'none']).default('group'),
    })
    .prefault({});
}

export const backendField = z.enum(['wasm', 'cpu', 'tensorflow']).default('wasm');
