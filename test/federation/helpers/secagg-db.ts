/** Reads of a coordinator database that the secure aggregation tests need besides run-db.ts. */
import { openDatabase } from '../../../src/federation/store/sqlite.js';
import { RunStore } from '../../../src/federation/store/run-store.js';

function withStore<T>(dbFile: string, read: (store: RunStore, runId: number) => T): T {
  const db = openDatabase(dbFile, { readonly: true });
  try {
    const store = new RunStore(db);
    return read(store, store.listRuns()[0]!.runId);
  } finally {
    db.close();
  }
}

/** The global model after `round` (needs keepCheckpoints: all). */
export function checkpointOf(dbFile: string, round: number): Float32Array[] {
  return withStore(dbFile, (store, runId) => store.loadCheckpoint(runId, round).weights);
}

/** The distinct metrics_json values of one phase's rows in node_results. */
export function fitMetricsJson(dbFile: string, phase: 'fit' | 'evaluate' = 'fit'): (string | null)[] {
  return withStore(dbFile, (store) =>
    (store.db.prepare(`SELECT DISTINCT metrics_json FROM node_results WHERE phase = ?`).all(phase) as { metrics_json: string | null }[]).map(
      (r) => r.metrics_json,
    ),
  );
}
