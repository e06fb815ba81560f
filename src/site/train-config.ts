/** The `privmed train --config run.yaml` schema, with defaults a radiology group can start from. */
import { z } from 'zod';
import { augmentField, backendField, labelSmoothingField, ttaField, datasetFields, modelSection } from './config-sections.js';
import { PrivacySchema } from '../dp/privacy-config.js';
import { SegmentationSchema } from './segmentation-config.js';
import { OptimizerSchema, ScheduleSchema } from '../training/config.js';

const positiveInt = z.number().int().positive();


export const TrainConfigSchema = z.strictObject({
  /** classification (default) or segmentation (image/label pairs, a U-Net; see docs/segmentation.md). */
  task: z.enum(['classification', 'segmentation']).default('classification'),
  segmentation: SegmentationSchema.optional(),
  data: z.strictObject({
    ...datasetFields,
    /** Use only the first N training images (quick experiments). */
    limit: positiveInt.optional(),
  }).prefault({}),
  model: modelSection('resnet18'),
  training: z.strictObject({
    epochs: positiveInt.default(10),
    batchSize: positiveInt.default(64),
    optimizer: OptimizerSchema.prefault({}),
    schedule: ScheduleSchema.prefault({}),
    /** 'balanced' weights each class by n / (k * n_c), as in PriMIA; or explicit weights. */
    classWeights: z.union([z.enum(['none', 'balanced']), z.array(z.number().positive())]).default('balanced'),
    seed: z.number().int().min(0).default(42),
    /** Validation metric for early stopping and best-checkpoint selection. */
    selectionMetric: z.enum(['mcc', 'auc', 'accuracy', 'loss', 'dice']).default('mcc'),
    patience: z.number().int().min(0).default(5),
    augment: augmentField,
    labelSmoothing: labelSmoothingField,
    tta: ttaField,
    /** Decay of an exponential moving average of the weights used for validation and the saved model (e.g. 0.9); off when absent. */
    ema: z.number().gt(0).lt(1).optional(),
  }).prefault({}),
  backend: backendField,
  output: z.string().default('runs/latest'),
  privacy: PrivacySchema.optional(),
});

export type TrainConfig = z.infer<typeof TrainConfigSchema>;
