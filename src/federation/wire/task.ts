/**
 * A task and a node's reply to it, as both sides see them once the wire
 * messages are decoded: the coordinator builds tasks from these and reads
 * replies as NodeReply; the node receives ReceivedTask and answers with a
 * NodeReply. Aggregation protocols speak in these types on both sides.
 */
import type { LedgerHead } from '../../accounting/index.js';
import type { ConfigRecord } from './config-values.js';
import type { NamedTensor } from './tensors.js';

export type TaskKind = 'fit' | 'evaluate' | 'step' | 'init';

/** A task as the node receives it: weights decoded, the stage and payload of a protocol step as sent. */
export interface ReceivedTask {
  kind: TaskKind;
  taskId: string;
  round: number;
  config: ConfigRecord;
  tensors: NamedTensor[] | null;
  /** The protocol stage ('' for a plain fit); the protocol registry routes by it. */
  stage: string;
  payload: Buffer;
  /** The node's ledger head as the coordinator last recorded it (null before the node's first report). */
  ledgerHead?: LedgerHead | null;
}

/** What a node sends back for a fit, step or init task (the coordinator receives a missing payload as empty). */
export interface NodeReply {
  tensors: NamedTensor[] | null;
  numSamples: number;
  metrics: Record<string, number>;
  payload?: Buffer;
}
