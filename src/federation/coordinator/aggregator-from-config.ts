/** The fit-phase aggregator named by the coordinator config's `aggregation:` key, from the protocol registry. */
import { dirname, resolve } from 'node:path';
import { protocolByName } from '../protocols/registry.js';
import type { Aggregator } from './aggregator.js';
import type { CoordinatorConfig } from './config.js';

export function aggregatorFromConfig(config: CoordinatorConfig): Aggregator {
  const protocol = protocolByName(config.aggregation);
  // A protocol's settings live under the config key of its name (e.g. `secagg:`).
  const settings = (config as Readonly<Record<string, unknown>>)[protocol.name];
  return protocol.coordinator({ settings, validation: config.validation, stateDir: dirname(resolve(config.database)), caFile: config.tls?.ca });
}
