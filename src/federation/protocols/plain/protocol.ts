/** Plain aggregation: every update (and every node's statistics) reaches the coordinator in the clear. */
import type { ProtocolEntry } from '../types.js';
import { PLAIN_STAGES, PlainAggregator } from './coordinator.js';
import { PlainNodeAggregation } from './node.js';

export const plainProtocol = {
  name: 'plain',
  stages: { fit: PLAIN_STAGES.fit, statistics: PLAIN_STAGES.statistics, steps: [] },
  coordinator: () => new PlainAggregator(),
  node: () => new PlainNodeAggregation(),
} as const satisfies ProtocolEntry;
