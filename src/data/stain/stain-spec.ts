/**
 * Stain normalisation as data: the reference's statistics (what a model
 * stores, so that `predict` normalises as training did) and the config form,
 * which may instead name a reference tile to compute them from.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { PrivmedError } from '../../common/errors.js';
import { readImage } from '../images/read-image.js';
import { macenkoNormalise, macenkoStats } from './macenko.js';
import { reinhardNormalise, reinhardStats } from './reinhard.js';

const vec3 = z.tuple([z.number(), z.number(), z.number()]);
const positive = z.number().positive();

export const StainSpecSchema = z.discriminatedUnion('method', [
  z.strictObject({ method: z.literal('reinhard'), mean: vec3, std: z.tuple([positive, positive, positive]) }),
  z.strictObject({ method: z.literal('macenko'), stains: z.tuple([vec3, vec3]), maxConcentrations: z.tuple([positive, positive]) }),
]);

/**
 * Config: the statistics themselves, a reference tile (relative paths: the working folder, then
 * the data root), or `federated: true`: the reference is the federation's (Reinhard), exchanged
 * before round 1 like the dataset statistics (docs/histopathology.md).
 */
export const StainConfigSchema = z.union([
  StainSpecSchema,
  z.strictObject({ method: z.enum(['reinhard', 'macenko']), reference: z.string().min(1) }),
  z.strictObject({ method: z.literal('reinhard'), federated: z.literal(true) }),
]);

export type StainSpec = z.infer<typeof StainSpecSchema>;
export type StainConfig = z.infer<typeof StainConfigSchema>;

/** Normalises an RGB image (HWC, [0, 1]) to the reference. */
export function applyStain(rgb: Float32Array, spec: StainSpec): Float32Array {
  return spec.method === 'reinhard' ? reinhardNormalise(rgb, spec) : macenkoNormalise(rgb, spec);
}

/** The statistics of a reference tile for a method. */
export function stainSpecOf(method: StainSpec['method'], rgb: Float32Array, name: string): StainSpec {
  const stats = method === 'reinhard' ? reinhardStats(rgb) : macenkoStats(rgb);
  if (!stats) throw new PrivmedError(`${name}: too little tissue to estimate ${method} statistics from`, { hint: 'choose a reference tile mostly covered by stained tissue' });
  return { method, ...stats } as StainSpec;
}

/** Whether the reference comes from the federation's exchange (not known when the data is opened). */
export function isFederatedStain(config: StainConfig | undefined): config is Extract<StainConfig, { federated: true }> {
  return config !== undefined && 'federated' in config;
}

export async function resolveStain(config: StainConfig, dataRoot: string): Promise<StainSpec> {
  if (isFederatedStain(config)) {
    throw new PrivmedError('data.stain: federated: true takes the reference from a federation\'s exchange, and this run is not one', {
      hint: 'use it in privmed simulate or a node config, or name a reference tile (data.stain.reference)',
    });
  }
  if (!('reference' in config)) return config;
  const path = isAbsolute(config.reference) || existsSync(config.reference) ? config.reference : resolve(dataRoot, config.reference);
  const img = await readImage(path);
  if (img.channels !== 3) throw new PrivmedError(`stain reference ${path}: expected an RGB image, got ${img.channels} channel(s)`);
  return stainSpecOf(config.method, img.data.subarray(0, img.rows * img.cols * 3), path);
}
