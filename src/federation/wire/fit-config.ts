/**
 * The configuration keys the coordinator sends with every fit/evaluate task
 * and the local trainer reads. Anything else in the record is passed through
 * from the coordinator's config untouched (learning rate, batch size, ...).
 */
import type { ConfigScalar } from './config-values.js';

export interface FitConfig {
  /** The federated round this fit belongs to (1-based). */
  round: number;
  /** Train this many full passes over the local data before syncing. */
  localEpochs?: number;
  /** Or: sync after this many mini-batches, resuming where the previous round stopped (sub-epoch sync). */
  syncEveryNBatches?: number;
  /** FedProx: weight of the proximal term mu/2 * ||w - w_global||^2 the local trainer adds to its loss. */
  proximalMu?: number;
  [key: string]: ConfigScalar | undefined;
}

export interface EvaluateConfig {
  round: number;
  [key: string]: ConfigScalar | undefined;
}
