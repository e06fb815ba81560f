/** The `privmed train --config run.yaml` schema, with defaults a radiology group can start from. */
import { z } from 'zod';

const positiveInt = z.number().int().positive();

export const OptimizerSchema = z.strictObject({
  name: z.enum(['adam', 'sgd']).default('adam'),
  lr: z.number().positive().default(1e-3),
  momentum: z.number().min(0).max(1).default(0.9),
  weightDecay: z.number().min(0).default(0),
});

export const ScheduleSchema = z.strictObject({
  name: z.enum(['constant', 'cosine', 'step']).default('cosine'),
  warmupEpochs: z.number().min(0).default(0),
  stepEpochs: positiveInt.default(10),
  gamma: z.number().positive().max(1).default(0.1),
});

export const TrainConfigSchema = z.strictObject({
  data: z.strictObject({
    /** A MedMNIST name under the data root (pneumoniamnist) or a path to an .npz file. */
    dataset: z.string().min(1).default('pneumoniamnist'),
    root: z.string().optional(),
    /** Use only the first N training images (quick experiments). */
    limit: positiveInt.optional(),
  }).prefault({}),
  model: z.strictObject({
    arch: z.enum(['small-cnn', 'resnet18']).default('resnet18'),
    norm: z.enum(['batch', 'group', 'none']).default('group'),
  }).prefault({}),
  training: z.strictObject({
    epochs: positiveInt.default(10),
    batchSize: positiveInt.default(64),
    optimizer: OptimizerSchema.prefault({}),
    schedule: ScheduleSchema.prefault({}),
    /** 'balanced' weights each class by n / (k * n_c), as in PriMIA; or explicit weights. */
    classWeights: z.union([z.enum(['none', 'balanced']), z.array(z.number().positive())]).default('balanced'),
    seed: z.number().int().min(0).default(42),
    /** Validation metric for early stopping and best-checkpoint selection. */
    selectionMetric: z.enum(['mcc', 'auc', 'accuracy', 'loss']).default('mcc'),
    patience: z.number().int().min(0).default(5),
    augment: z.boolean().default(true),
  }).prefault({}),
  backend: z.enum(['wasm', 'cpu', 'tensorflow']).default('wasm'),
  output: z.string().default('runs/latest'),
});

export type TrainConfig = z.infer<typeof TrainConfigSchema>;
