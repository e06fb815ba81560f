/** The rows and records of the run store (run-store.ts), apart so the store itself stays about its queries. */
import type { TensorSpec } from '../wire/tensors.js';
import type { Metrics, StrategyState, Weights } from '../strategy/types.js';
import type { SqliteDatabase } from './sqlite.js';

export type RunStatus = 'running' | 'completed' | 'stopped_early' | 'failed';
export type AttemptStatus = 'running' | 'completed' | 'failed' | 'interrupted';
export type Phase = 'fit' | 'evaluate';
export type NodeResultStatus = 'accepted' | 'rejected' | 'dropped';

export interface RunRow {
  runId: number;
  name: string;
  status: RunStatus;
  fingerprint: string;
  totalRounds: number;
  modelSpecs: TensorSpec[] | null;
  bestRound: number | null;
  bestMetric: number | null;
  message: string | null;
}

/** The run's exchanged normalisation (see wire/statistics.ts). */
export interface RunStatistics {
  mean: number[];
  std: number[];
  /** Images over all contributing nodes (noisy when the nodes use DP). */
  imageCount: number;
  nodes: number;
  aggregation: string;
}

/** The run's exchanged stain reference (coordinator/statistics-exchange.ts). */
export interface RunStainReference {
  reference: { method: 'reinhard'; mean: [number, number, number]; std: [number, number, number] };
  /** Tiles with tissue over all contributing nodes (noisy when the nodes use DP). */
  tileCount: number;
  nodes: number;
  aggregation: string;
}

export interface Checkpoint {
  round: number;
  weights: Weights;
  strategyState: StrategyState | null;
}

export interface CompletedRound {
  round: number;
  attempt: number;
  fitMetrics: Metrics;
  evalMetrics: Metrics | null;
}

export interface RoundCommit {
  runId: number;
  round: number;
  attempt: number;
  /** Null when the coordinator holds no model (protocols with modelAtNodes): no checkpoint is stored. */
  weights: Weights | null;
  strategyState: StrategyState | null;
  fitMetrics: Metrics;
  evalMetrics: Metrics | null;
  best: { round: number; metric: number } | null;
  /** Keep only the checkpoints of these rounds (besides the new one); undefined keeps all. */
  keepRounds?: number[];
}

/** Called inside the round's commit transaction: a throw rolls the whole round back. */
export type CommitHook = (db: SqliteDatabase, commit: RoundCommit) => void;

/** A row of the runs table as SQLite returns it (schema.ts), read by the store, `privmed status` and the dashboard. */
export interface RunRecord {
  run_id: number;
  name: string;
  status: RunStatus;
  config_json: string;
  fingerprint: string;
  total_rounds: number;
  model_json: string | null;
  best_round: number | null;
  best_metric: number | null;
  message: string | null;
  created_at: string;
  updated_at: string;
}

export function toRunRow(r: RunRecord): RunRow {
  return {
    runId: r.run_id,
    name: r.name,
    status: r.status,
    fingerprint: r.fingerprint,
    totalRounds: r.total_rounds,
    modelSpecs: r.model_json ? (JSON.parse(r.model_json) as TensorSpec[]) : null,
    bestRound: r.best_round,
    bestMetric: r.best_metric,
    message: r.message,
  };
}
