/**
 * What an aggregation protocol provides to the registry (registry.ts): its
 * coordinator side (an Aggregator for the round loop), its node side (a
 * NodeAggregation, one per node process) and the task stages its node side
 * answers, by which the node routes each task to it.
 */
import type { z } from 'zod';
import type { RandomSource } from '../../crypto/index.js';
import type { Aggregator } from '../coordinator/aggregator.js';
import type { NodeAggregation } from '../node/node-aggregation.js';

/** The coordinator config's part every protocol may use. */
export interface CoordinatorProtocolInput {
  /** The protocol's own settings: the coordinator config key named like the protocol (e.g. `secagg:`), if any. */
  settings: unknown;
  validation: { maxUpdateNorm?: number; maxNumSamples?: number };
  /** A folder for the protocol's coordinator state (beside the run database). */
  stateDir: string;
  /** The federation CA certificate file (absent without TLS): protocols whose nodes authenticate each other check certificates against it. */
  caFile?: string;
}

export interface NodeProtocolOptions {
  /** Threshold protocols: refuse rounds whose reconstruction threshold is below this (local policy). */
  minThreshold?: number;
  /** Where the node writes why it refused, with details that are not sent (e.g. the actual norm). */
  log?: (line: string) => void;
  /** The node's name, mTLS certificate and key, and the federation CA (protocols whose nodes authenticate each other). */
  credentials?: { name: string; certPem: string; keyPem: string; caPem: string };
  /** The node's own folder for protocol state (keys, the decoded global model); a temporary one when absent. */
  stateDir?: string;
  /** Secret randomness (tests only); the system CSPRNG by default. */
  random?: RandomSource;
}

export interface ProtocolStages {
  /** The stage of the fit task that starts a round ('' for plain). */
  fit: string;
  /** The stage of the statistics exchange task; absent: the protocol exchanges no statistics. */
  statistics?: string;
  /** The stage of the secure evaluation sum's first task; absent: the protocol sums no evaluations. */
  evaluation?: string;
  /** The STEP stages that follow either. */
  steps: readonly string[];
}

export interface ProtocolEntry {
  /** The coordinator config's `aggregation:` value; also the Aggregator's name. */
  readonly name: string;
  /** Schema of the protocol's settings under the config key of the same name; absent: it has none. */
  readonly settings?: z.ZodType;
  /** The fewest nodes per round the protocol can protect (the config refuses a lower minNodes). */
  readonly minNodes?: number;
  /** The nodes decode the new global model and the coordinator never holds it: fit tasks after round 1 and evaluate tasks carry no weights. */
  readonly modelAtNodes?: boolean;
  readonly stages: ProtocolStages;
  coordinator(input: CoordinatorProtocolInput): Aggregator;
  node(options: NodeProtocolOptions): NodeAggregation;
}
