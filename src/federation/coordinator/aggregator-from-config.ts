/** The fit-phase aggregator named by the coordinator config's `aggregation:` key. */
import type { Aggregator } from './aggregator.js';
import { SecAggConfigSchema, type CoordinatorConfig } from './config.js';
import { PlainAggregator } from './plain-aggregator.js';
import { DEFAULT_SECAGG_MAX_SAMPLES, SecAggAggregator } from './secagg-aggregator.js';

export function aggregatorFromConfig(config: CoordinatorConfig): Aggregator {
  if (config.aggregation === 'plain') return new PlainAggregator();
  const secagg = config.secagg ?? SecAggConfigSchema.parse({});
  return new SecAggAggregator({
    clip: secagg.clip,
    stageTimeoutSec: secagg.stageTimeoutSec,
    // Under secure aggregation the node enforces these limits; maxNumSamples also sets the fixed-point weight range.
    maxSamples: config.validation.maxNumSamples ?? DEFAULT_SECAGG_MAX_SAMPLES,
    maxUpdateNorm: config.validation.maxUpdateNorm,
  });
}
