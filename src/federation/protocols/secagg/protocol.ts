/** Secure aggregation (SecAgg+): the coordinator learns only the sum of the nodes' updates (and statistics). */
import { z } from 'zod';
import type { ProtocolEntry } from '../types.js';
import { DEFAULT_SECAGG_MAX_SAMPLES, SecAggAggregator } from './coordinator.js';
import { SECAGG_EVALUATION_STAGE, SECAGG_STAGES, SECAGG_STATISTICS_STAGE } from './envelope.js';
import { SecAggNodeAggregation } from './node.js';

/** The coordinator config's `secagg:` settings; see docs/federation.md. */
export const SecAggConfigSchema = z.strictObject({
  /** Each coordinate of a node's update w_node - w_global is clipped to [-clip, clip] before masking; smaller = finer quantisation. */
  clip: z.number().positive().default(4),
  /** How long each protocol stage after local training (share keys, masked input, unmasking) waits for the nodes. */
  stageTimeoutSec: z.number().positive().default(60),
});

export const secaggProtocol = {
  name: 'secagg',
  settings: SecAggConfigSchema,
  // The sum of one node's update is that update.
  minNodes: 2,
  stages: {
    fit: SECAGG_STAGES.setup,
    statistics: SECAGG_STATISTICS_STAGE,
    evaluation: SECAGG_EVALUATION_STAGE,
    steps: [SECAGG_STAGES.shareKeys, SECAGG_STAGES.maskedInput, SECAGG_STAGES.consistency, SECAGG_STAGES.unmask],
  },
  coordinator: ({ settings, validation, caFile }) => {
    const secagg = SecAggConfigSchema.parse(settings ?? {});
    return new SecAggAggregator({
      clip: secagg.clip,
      stageTimeoutSec: secagg.stageTimeoutSec,
      // Under secure aggregation the node enforces these limits; maxNumSamples also sets the fixed-point weight range.
      maxSamples: validation.maxNumSamples ?? DEFAULT_SECAGG_MAX_SAMPLES,
      maxUpdateNorm: validation.maxUpdateNorm,
      caFile,
    });
  },
  node: (options) => new SecAggNodeAggregation(options),
} as const satisfies ProtocolEntry;
