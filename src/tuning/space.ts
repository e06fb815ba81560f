/** Hyperparameter search spaces and seeded random sampling from them. */
import { z } from 'zod';
import { Rng } from '../common/rng.js';

export const ParameterSchema = z.union([
  z.strictObject({ logUniform: z.tuple([z.number().positive(), z.number().positive()]) }),
  z.strictObject({ uniform: z.tuple([z.number(), z.number()]) }),
  z.strictObject({ choice: z.array(z.union([z.number(), z.string(), z.boolean()])).min(1) }),
]);

export const SpaceSchema = z.strictObject({
  lr: ParameterSchema.optional(),
  batchSize: ParameterSchema.optional(),
  localEpochs: ParameterSchema.optional(),
  weightDecay: ParameterSchema.optional(),
  proximalMu: ParameterSchema.optional(),
});

export type Parameter = z.infer<typeof ParameterSchema>;
export type Space = z.infer<typeof SpaceSchema>;
export type Trial = Record<string, number | string | boolean>;

export function sample(p: Parameter, rng: Rng): number | string | boolean {
  if ('logUniform' in p) return Math.exp(rng.uniform(Math.log(p.logUniform[0]), Math.log(p.logUniform[1])));
  if ('uniform' in p) return rng.uniform(p.uniform[0], p.uniform[1]);
  return p.choice[rng.int(p.choice.length)]!;
}

/** Trial k of a random search: depends only on (seed, k), so a resumed search draws the same trials. */
export function randomTrial(space: Space, seed: number, k: number): Trial {
  const rng = new Rng(seed).fork(k);
  const trial: Trial = {};
  for (const [name, p] of Object.entries(space)) if (p) trial[name] = sample(p, rng);
  return trial;
}
