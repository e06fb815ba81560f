/** What the round loop and the statistics exchange before it share (kept apart so neither imports the other). */
import type { NamedTensor } from '../wire/tensors.js';
import type { Strategy } from '../strategy/types.js';
import type { RunStore } from '../store/run-store.js';
import type { Aggregator } from './aggregator.js';
import type { CoordinatorConfig } from './config.js';
import type { EventSink } from './events.js';
import type { Exchange, NodeFailure } from './exchange.js';
import type { NodeRegistry } from './node-registry.js';

export interface RoundLoopContext {
  config: CoordinatorConfig;
  store: RunStore;
  runId: number;
  registry: NodeRegistry;
  strategy: Strategy;
  aggregator: Aggregator;
  exchange: Exchange;
  events: EventSink;
  initialWeights?: NamedTensor[];
  signal: AbortSignal;
}

export function describeFailures(failures: readonly NodeFailure[]): string {
  return failures.map((f) => `${f.node} ${f.status} (${f.reason})`).join('; ');
}
