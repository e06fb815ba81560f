/**
 * Reads one run's rows from a coordinator database (the run store's tables
 * and the federation ledger in the same file). Only SELECTs: the dashboard
 * opens the file read-only, also while a coordinator writes it (WAL).
 */
import { PrivacyLedger, type LedgerDatabase, type LedgerEntry } from '../accounting/index.js';
import { schemaVersion } from '../federation/store/schema.js';
import type { SqliteDatabase } from '../federation/store/sqlite.js';
import type { RunRecord } from '../federation/store/run-rows.js';
import type { Metrics } from '../federation/strategy/types.js';

export type { RunRecord };

export interface AttemptRecord {
  round: number;
  attempt: number;
  status: string;
  nodes: string[];
  fitMetrics: Metrics | null;
  evalMetrics: Metrics | null;
  message: string | null;
  startedAt: string;
  finishedAt: string | null;
}

export interface ResultRecord {
  round: number;
  attempt: number;
  node: string;
  phase: 'fit' | 'evaluate';
  status: 'accepted' | 'rejected' | 'dropped';
  numSamples: number | null;
  metrics: Metrics;
  message: string | null;
  recordedAt: string;
}

export interface NodeRecord {
  node: string;
  joins: number;
  firstSeen: string;
  lastSeen: string;
}

export interface RunTables {
  run: RunRecord;
  attempts: AttemptRecord[];
  results: ResultRecord[];
  nodes: NodeRecord[];
  /** The federation ledger's entries of every run in the file (the caller picks this run's by note). */
  ledger: LedgerEntry[];
}

const json = <T>(text: string | null): T | null => (text ? (JSON.parse(text) as T) : null);

/** The named run, or the newest one; null while the file holds none (a coordinator just starting). */
export function readRunTables(db: SqliteDatabase, runName?: string): RunTables | null {
  if (schemaVersion(db) === 0) return null;
  const run = (
    runName === undefined
      ? db.prepare('SELECT * FROM runs ORDER BY run_id DESC LIMIT 1').get()
      : db.prepare('SELECT * FROM runs WHERE name = ?').get(runName)
  ) as RunRecord | undefined;
  if (!run) return null;
  const attempts = (
    db
      .prepare('SELECT round, attempt, status, nodes_json, fit_metrics_json, eval_metrics_json, message, started_at, finished_at FROM rounds WHERE run_id = ? ORDER BY round, attempt')
      .all(run.run_id) as { round: number; attempt: number; status: string; nodes_json: string; fit_metrics_json: string | null; eval_metrics_json: string | null; message: string | null; started_at: string; finished_at: string | null }[]
  ).map((r) => ({
    round: r.round,
    attempt: r.attempt,
    status: r.status,
    nodes: json<string[]>(r.nodes_json) ?? [],
    fitMetrics: json<Metrics>(r.fit_metrics_json),
    evalMetrics: json<Metrics>(r.eval_metrics_json),
    message: r.message,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  }));
  const results = (
    db
      .prepare('SELECT round, attempt, node, phase, status, num_samples, metrics_json, message, recorded_at FROM node_results WHERE run_id = ? ORDER BY round, attempt, node')
      .all(run.run_id) as { round: number; attempt: number; node: string; phase: 'fit' | 'evaluate'; status: ResultRecord['status']; num_samples: number | null; metrics_json: string | null; message: string | null; recorded_at: string }[]
  ).map((r) => ({
    round: r.round,
    attempt: r.attempt,
    node: r.node,
    phase: r.phase,
    status: r.status,
    numSamples: r.num_samples,
    metrics: json<Metrics>(r.metrics_json) ?? {},
    message: r.message,
    recordedAt: r.recorded_at,
  }));
  const nodes = (db.prepare('SELECT node, joins, first_seen, last_seen FROM nodes WHERE run_id = ? ORDER BY node').all(run.run_id) as { node: string; joins: number; first_seen: string; last_seen: string }[]).map(
    (n) => ({ node: n.node, joins: n.joins, firstSeen: n.first_seen, lastSeen: n.last_seen }),
  );
  const hasLedger = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'privacy_ledger'`).get() !== undefined;
  const ledger = hasLedger ? PrivacyLedger.open(db as unknown as LedgerDatabase, { mustExist: true }).entries() : [];
  return { run, attempts, results, nodes, ledger };
}
