/**
 * PreprocessingSpec: everything that turns a dataset's sample into a model
 * input, as JSON. It is stored with the model so that `predict` applies
 * exactly the training-time preprocessing (minus augmentation).
 */
import { z } from 'zod';
import { ConfigError } from '../../common/errors.js';

const positiveInt = z.number().int().positive();
const probability = z.number().min(0).max(1);

const AffineSchema = z
  .object({
    rotateDeg: z.number().min(0).max(180).optional(),
    translate: z.number().min(0).max(1).optional(),
    scale: z.tuple([z.number().positive(), z.number().positive()]).optional(),
    shearDeg: z.number().min(0).max(60).optional(),
    p: probability.optional(),
    fill: z.number().optional(),
  })
  .strict();

export const PreprocessingSpecSchema = z
  .object({
    version: z.literal(1),
    /** The sample shape the dataset delivers (files are read and resized to this). */
    input: z.object({ height: positiveInt, width: positiveInt, channels: z.union([z.literal(1), z.literal(3)]) }).strict(),
    /** How files become images (see ImageReadOptions). */
    read: z
      .object({
        intensity: z.enum(['auto', 'minmax', 'raw']).optional(),
        niftiAxis: z.union([z.literal(0), z.literal(1), z.literal(2)]).optional(),
        dicomFrame: z.number().int().min(0).optional(),
      })
      .strict()
      .optional(),
    resize: z.object({ height: positiveInt, width: positiveInt, method: z.enum(['linear', 'nearest']).optional() }).strict().optional(),
    centerCrop: z.object({ height: positiveInt, width: positiveInt }).strict().optional(),
    normalize: z.object({ mean: z.array(z.number()).min(1), std: z.array(z.number().positive()).min(1) }).strict().optional(),
    augment: z
      .object({
        affine: AffineSchema.optional(),
        flipHorizontal: probability.optional(),
        flipVertical: probability.optional(),
        brightness: z.number().min(0).optional(),
        contrast: z.number().min(0).max(1).optional(),
        gamma: z.tuple([z.number().positive(), z.number().positive()]).optional(),
        noise: z.object({ std: z.number().min(0), p: probability.optional() }).strict().optional(),
        elastic: z.object({ alpha: z.number().min(0), sigma: z.number().positive(), p: probability.optional() }).strict().optional(),
        /** Batch-level MixUp; applied by the training loop with `mixup()`. */
        mixup: z.object({ alpha: z.number().positive() }).strict().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type PreprocessingSpec = z.infer<typeof PreprocessingSpecSchema>;

/** Validates JSON (e.g. from model metadata); a problem names the key path. */
export function parsePreprocessingSpec(json: unknown, file?: string): PreprocessingSpec {
  const r = PreprocessingSpecSchema.safeParse(json);
  if (r.success) {
    const s = r.data;
    if (s.centerCrop && s.centerCrop.height > (s.resize ?? s.input).height) throw new ConfigError('preprocessing.centerCrop.height', `at most ${(s.resize ?? s.input).height}`, String(s.centerCrop.height), file);
    if (s.centerCrop && s.centerCrop.width > (s.resize ?? s.input).width) throw new ConfigError('preprocessing.centerCrop.width', `at most ${(s.resize ?? s.input).width}`, String(s.centerCrop.width), file);
    if (s.normalize && (s.normalize.mean.length !== s.input.channels || s.normalize.std.length !== s.input.channels)) {
      throw new ConfigError('preprocessing.normalize', `one mean and std per channel (${s.input.channels})`, `${s.normalize.mean.length} mean(s), ${s.normalize.std.length} std(s)`, file);
    }
    return s;
  }
  const issue = r.error.issues[0]!;
  const path = ['preprocessing', ...issue.path.map(String)].join('.');
  const received = issue.path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k as string] : undefined), json);
  throw new ConfigError(path, issue.message, JSON.stringify(received) ?? 'nothing', file);
}
