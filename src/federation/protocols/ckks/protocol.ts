/** CKKS with a threshold key (src/he): the coordinator adds ciphertexts and never learns an update, their sum or the model. */
import { z } from 'zod';
import type { ProtocolEntry } from '../types.js';
import { DEFAULT_SECAGG_MAX_SAMPLES, SecAggAggregator } from '../secagg/coordinator.js';
import { CkksAggregator } from './coordinator.js';
import { CKKS_STAGES } from './envelope.js';
import { CkksNodeAggregation } from './node.js';

/** The coordinator config's `ckks:` settings; see docs/he.md. */
export const CkksConfigSchema = z.strictObject({
  /** Decryption shares needed (t of the n nodes of the key setup); default ceil(2n/3). */
  threshold: z.number().int().min(2).optional(),
  /** How long each stage after local training (key setup, decryption shares, opening) waits for the nodes. */
  stageTimeoutSec: z.number().positive().default(300),
});

export const ckksProtocol = {
  name: 'ckks',
  settings: CkksConfigSchema,
  minNodes: 2,
  // The nodes decode the new global model; the coordinator holds none after round 0.
  modelAtNodes: true,
  stages: {
    fit: CKKS_STAGES.fit,
    steps: [CKKS_STAGES.advertise, CKKS_STAGES.deal, CKKS_STAGES.finish, CKKS_STAGES.share, CKKS_STAGES.open],
  },
  coordinator: ({ settings, validation, stateDir, caFile }) => {
    const ckks = CkksConfigSchema.parse(settings ?? {});
    const maxSamples = validation.maxNumSamples ?? DEFAULT_SECAGG_MAX_SAMPLES;
    return new CkksAggregator({
      threshold: ckks.threshold,
      stageTimeoutSec: ckks.stageTimeoutSec,
      maxSamples,
      maxUpdateNorm: validation.maxUpdateNorm,
      stateDir,
      // The statistics exchange is a sum of small vectors: SecAgg+ (src/secagg), whose node side every node runs.
      statistics: new SecAggAggregator({ clip: 1, stageTimeoutSec: ckks.stageTimeoutSec, maxSamples, maxUpdateNorm: validation.maxUpdateNorm, caFile }),
    });
  },
  node: (options) => new CkksNodeAggregation(options),
} as const satisfies ProtocolEntry;
