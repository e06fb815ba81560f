/**
 * What a hospital node trains on: its data, the model, local training
 * settings. In a simulation the data is this site's share of a dataset split
 * among several sites (the same seeded partition in every process).
 */
import { z } from 'zod';
import { augmentField, backendField, datasetFields, modelSection } from './config-sections.js';
import { PrivacySchema } from '../dp/privacy-config.js';
import { OptimizerSchema } from '../training/config.js';

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
 * DP-SGD at the node (present = on). The train-config section, with
 * noiseMultiplier required: the node cannot know how many rounds it will be
 * asked for, so targetEpsilon is its budget (fits beyond it are refused), not
 * a calibration target. ledger defaults to privacy-ledger.sqlite next to the
 * node's config file; site (the ledger's name for this data) to the node name.
 */
export const SitePrivacySchema = PrivacySchema.refine((p) => p.noiseMultiplier !== undefined, {
  message: 'a noise multiplier for federated DP-SGD (e.g. 1.0)',
  path: ['noiseMultiplier'],
});

export const SiteSchema = z.strictObject({
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
  }).prefault({}),
  backend: backendField,
  privacy: SitePrivacySchema.optional(),
});

export type SiteConfig = z.infer<typeof SiteSchema>;
export type PartitionConfig = z.infer<typeof PartitionSchema>;
