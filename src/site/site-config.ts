/**
 * What a hospital node trains on: its data, the model, local training
 * settings. In a simulation the data is this site's share of a dataset split
 * among several sites (the same seeded partition in every process).
 */
import { z } from 'zod';
import { augmentField, backendField, labelSmoothingField, ttaField, datasetFields, modelSection } from './config-sections.js';
import { PrivacySchema } from '../dp/privacy-config.js';
import { OptimizerSchema } from '../training/config.js';
import { SegmentationSchema } from './segmentation-config.js';

const positiveInt = z.number().int().positive();

export const PartitionSchema = z.strictObject({
  sites: positiveInt,
  index: z.number().int().min(0),
  kind: z.enum(['iid', 'dirichlet', 'label-skew']).default('dirichlet'),
  /** Dirichlet concentration: small = strongly non-IID. */
  alpha: z.number().positive().default(0.5),
  /** label-skew: share of a class that goes to "its" site. */
  majority: z.number().gt(0).lt(1).default(0.8),
  seed: z.number().int().min(0).default(42),
});

/**
 * DP-SGD at the node (present = on), the train-config section. Give
 * targetEpsilon alone and the node calibrates its noise at the first fit to
 * the rounds the coordinator plans; give noiseMultiplier too and the noise is
 * fixed, the target ending the node's participation. ledger defaults to
 * privacy-ledger.sqlite next to the node's config file; site (the ledger's
 * name for this data) to the node name.
 */
export const SitePrivacySchema = PrivacySchema;

export const SiteSchema = z.strictObject({
  /** classification (default) or segmentation (cases dealt to the sites by a seeded shuffle; docs/segmentation.md). */
  task: z.enum(['classification', 'segmentation']).default('classification'),
  segmentation: SegmentationSchema.optional(),
  data: z.strictObject({
    ...datasetFields,
    partition: PartitionSchema.optional(),
  }).prefault({}),
  model: modelSection('small-cnn'),
  training: z.strictObject({
    batchSize: positiveInt.default(32),
    optimizer: OptimizerSchema.prefault({}),
    classWeights: z.enum(['none', 'balanced']).default('balanced'),
    seed: z.number().int().min(0).default(42),
    augment: augmentField,
    labelSmoothing: labelSmoothingField,
    tta: ttaField,
  }).prefault({}),
  backend: backendField,
  privacy: SitePrivacySchema.optional(),
});

export type SiteConfig = z.infer<typeof SiteSchema>;
export type PartitionConfig = z.infer<typeof PartitionSchema>;
