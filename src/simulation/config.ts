/**
 * `privmed simulate --config federation.yaml`: one dataset split among N
 * simulated hospitals, each a real node process, and a real coordinator, all
 * on loopback with mutual TLS.
 */
import { z } from 'zod';
import { SitePrivacySchema, SiteSchema } from '../site/site-config.js';
import { datasetFields } from '../site/config-sections.js';

export const SimulationSchema = z.strictObject({
  sites: z.number().int().min(1).max(50).default(3),
  data: z.strictObject({
    ...datasetFields,
    partition: z.strictObject({
      kind: z.enum(['iid', 'dirichlet', 'label-skew']).default('dirichlet'),
      alpha: z.number().positive().default(0.5),
      majority: z.number().gt(0).lt(1).default(0.8),
      seed: z.number().int().min(0).default(42),
    }).prefault({}),
  }).prefault({}),
  task: SiteSchema.shape.task,
  segmentation: SiteSchema.shape.segmentation,
  model: SiteSchema.shape.model,
  training: SiteSchema.shape.training,
  backend: SiteSchema.shape.backend,
  /** DP-SGD at every site (site.privacy); each site gets its own ledger in the output folder unless ledger is set. */
  privacy: SitePrivacySchema.optional(),
  /** Coordinator settings (docs/federation.md); address, TLS, nodes and database are filled in. */
  federation: z.record(z.string(), z.unknown()).default({}),
  output: z.string().default('runs/simulation'),
  /** Running again with the same output folder and run name resumes the run; a new name starts afresh. */
  runName: z.string().min(1).default('simulation'),
});

export type SimulationConfig = z.infer<typeof SimulationSchema>;
