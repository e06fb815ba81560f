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

/**
 * DP-SGD (present = train with differential privacy). Give targetEpsilon (the
 * noise is calibrated to it and training stops before exceeding it), or
 * noiseMultiplier, or both (fixed noise, stop at the target).
 */
export const PrivacySchema = z
  .strictObject({
    targetEpsilon: z.number().positive().optional(),
    delta: z.number().positive().lt(1).default(1e-5),
    noiseMultiplier: z.number().positive().optional(),
    /** L2 bound of a sample's gradient; or per-layer bounds by layer name. */
    clipNorm: z.union([z.number().positive(), z.record(z.string(), z.number().positive())]).default(1),
    /** 'per-layer' with one clipNorm splits it evenly: each layer gets clipNorm / sqrt(layers). */
    clipping: z.enum(['flat', 'per-layer']).default('flat'),
    sampling: z.enum(['poisson', 'uniform']).default('poisson'),
    accountant: z.enum(['rdp', 'gdp', 'prv']).default('rdp'),
    perSampleGradients: z.enum(['auto', 'loop', 'vectorised']).default('auto'),
    /** The privacy ledger (SQLite); default <output>/privacy-ledger.sqlite. */
    ledger: z.string().min(1).optional(),
    /** The name this dataset is charged under in the ledger; default the data.dataset value. */
    site: z.string().trim().min(1).optional(),
  })
  .superRefine((p, ctx) => {
    if (p.targetEpsilon === undefined && p.noiseMultiplier === undefined) {
      ctx.addIssue({ code: 'custom', message: 'targetEpsilon or noiseMultiplier (or both)', input: p });
    }
    if (p.accountant === 'gdp' && p.targetEpsilon !== undefined) {
      // GDP's central-limit epsilon can under-estimate; a budget needs a guaranteed bound.
      ctx.addIssue({ code: 'custom', message: "'rdp' or 'prv' when targetEpsilon is set", path: ['accountant'], input: p.accountant });
    }
    if (typeof p.clipNorm !== 'number' && p.clipping !== 'per-layer') {
      ctx.addIssue({ code: 'custom', message: "'per-layer' when clipNorm gives a bound per layer", path: ['clipping'], input: p.clipping });
    }
  });

export type PrivacyConfig = z.infer<typeof PrivacySchema>;

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
  privacy: PrivacySchema.optional(),
});

export type TrainConfig = z.infer<typeof TrainConfigSchema>;
