/**
 * PreprocessingSpec: everything that turns a dataset's sample into a model
 * input, as JSON. It is stored with the model so that `predict` applies
 * exactly the training-time preprocessing (minus augmentation).
 */
import { z } from 'zod';
import { ConfigError } from '../../common/errors.js';
import { StainSpecSchema } from '../stain/stain-spec.js';

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
    /** Stain normalisation of RGB images, applied as they are read (at the input size). */
    stain: StainSpecSchema.optional(),
    resize: z.object({ height: positiveInt, width: positiveInt, method: z.enum(['linear', 'nearest']).optional() }).strict().optional(),
    centerCrop: z.object({ height: positiveInt, width: positiveInt }).strict().optional(),
    normalize: z.object({ mean: z.array(z.number()).min(1), std: z.array(z.number().positive()).min(1) }).strict().optional(),
    augment: z
      .object({
        affine: AffineSchema.optional(),
        flipHorizontal: probability.optional(),
        flipVertical: probability.optional(),
        /** Rotation by a uniformly drawn multiple of 90 degrees (square images; valid for histology, not anatomy). */
        rot90: z.boolean().optional(),
        /** HED stain jitter (RGB only): per-stain scale U(1-sigma, 1+sigma) and shift U(-bias, bias). */
        hed: z.object({ sigma: z.number().min(0).max(1), bias: z.number().min(0).max(1), p: probability.optional() }).strict().optional(),
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
    if (s.stain && s.input.channels !== 3) throw new ConfigError('preprocessing.stain', 'RGB input (channels 3)', `channels ${s.input.channels}`, file);
    if (s.augment?.hed && s.input.channels !== 3) throw new ConfigError('preprocessing.augment.hed', 'RGB input (channels 3)', `channels ${s.input.channels}`, file);
    const out = outputShapeOf(s);
    if (s.augment?.rot90 && out.height !== out.width) throw new ConfigError('preprocessing.augment.rot90', 'square images', `${out.height}x${out.width}`, file);
    return s;
  }
  const issue = r.error.issues[0]!;
  const path = ['preprocessing', ...issue.path.map(String)].join('.');
  const received = issue.path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k as string] : undefined), json);
  throw new ConfigError(path, issue.message, JSON.stringify(received) ?? 'nothing', file);
}

function outputShapeOf(s: PreprocessingSpec): { height: number; width: number } {
  return s.centerCrop ?? s.resize ?? s.input;
}

/**
 * The preprocessing a model is stored with when its data had a stain
 * normalisation (older models carry only the normalisation, which `predict`
 * turns into a spec itself); an empty object otherwise, to spread into metadata.
 */
export function storedPreprocessing(
  info: { height: number; width: number; channels: number },
  normalize: { mean: number[]; std: number[] },
  stain: PreprocessingSpec['stain'] | undefined,
): { preprocessing?: PreprocessingSpec } {
  if (!stain || info.channels !== 3) return {};
  return { preprocessing: { version: 1, input: { height: info.height, width: info.width, channels: 3 }, stain, normalize } };
}
