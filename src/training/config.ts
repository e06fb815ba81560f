/** The training sections of a config (optimizer, LR schedule): validated here, used by the core and the site. */
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
