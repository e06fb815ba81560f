/** The `privacy:` section (local training and a federation site alike): what DP-SGD runs with. */
import { z } from 'zod';

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
    /**
     * Augmentation multiplicity (De et al. 2022): each sampled image's gradient is the mean over this many
     * augmented views, clipped once; the privacy cost is unchanged, the compute grows with it.
     */
    augmentationMultiplicity: z.number().int().min(1).max(64).default(1),
    /** With targetEpsilon: the most of it the dataset-statistics release may spend (its noise is raised to fit). */
    statisticsShare: z.number().gt(0).lt(1).default(0.1),
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
