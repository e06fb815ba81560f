/** Read-only views of a coordinator database for assertions. */
import { openDatabase } from '../../../src/federation/store/sqlite.js';
import { RunStore } from '../../../src/federation/store/run-store.js';

export interface RoundRow {
  round: number;
  attempt: number;
  status: string;
  message: string | null;
}

export interface NodeResultRow {
  round: number;
  attempt: number;
  node: string;
  phase: string;
  status: string;
  num_samples: number | null;
  message: string | null;
}

export function readRun(dbFile: string) {
  const db = openDatabase(dbFile, { readonly: true });
  try {
    const store = new RunStore(db);
    const run = store.listRuns()[0]!;
    const rounds = db.prepare('SELECT round, attempt, status, message FROM rounds WHERE run_id = ? ORDER BY round, attempt').all(run.runId) as RoundRow[];
    const results = db
      .prepare('SELECT round, attempt, node, phase, status, num_samples, message FROM node_results WHERE run_id = ? ORDER BY round, attempt, node, phase')
      .all(run.runId) as NodeResultRow[];
    const completed = store.completedRounds(run.runId);
    const last = store.lastCompletedRound(run.runId);
    const checkpoint = last > 0 ? store.loadCheckpoint(run.runId, last) : null;
    const checkpointRounds = (db.prepare('SELECT round FROM checkpoints WHERE run_id = ? ORDER BY round').all(run.runId) as { round: number }[]).map((r) => r.round);
    return { run, rounds, results, completed, checkpoint, checkpointRounds };
  } finally {
    db.close();
  }
}
