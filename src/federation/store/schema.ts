/**
 * Tables of the coordinator's state. Migrations are numbered and applied in
 * order inside one transaction; other modules that keep state in the same
 * file (the privacy ledger) manage their own tables.
 *
 * runs          one row per run (identified by its name)
 * rounds        one row per attempt of a round; exactly one 'completed' attempt per finished round
 * checkpoints   global weights after a completed round (round 0 = initial), plus strategy state
 * node_results  what each node returned in an attempt (metadata only: updates stay in memory)
 * nodes         when each node was last seen
 * statistics    the run's exchanged normalisation (global mean/std and totals only; never one node's numbers)
 * stain_reference  the run's exchanged stain reference (the federation's Reinhard statistics and tile total only)
 * ledger_heads  each privacy ledger head a node reported (with a reply in a round): what its ledger must extend
 */
import { PrivmedError } from '../../common/errors.js';
import type { SqliteDatabase } from './sqlite.js';

const MIGRATIONS: string[] = [
  `
  CREATE TABLE runs (
    run_id        INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    status        TEXT NOT NULL CHECK (status IN ('running', 'completed', 'stopped_early', 'failed')),
    config_json   TEXT NOT NULL,
    fingerprint   TEXT NOT NULL,
    total_rounds  INTEGER NOT NULL,
    model_json    TEXT,
    best_round    INTEGER,
    best_metric   REAL,
    message       TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
  );
  CREATE TABLE rounds (
    run_id        INTEGER NOT NULL REFERENCES runs(run_id),
    round         INTEGER NOT NULL,
    attempt       INTEGER NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'interrupted')),
    nodes_json    TEXT NOT NULL,
    fit_metrics_json  TEXT,
    eval_metrics_json TEXT,
    message       TEXT,
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    PRIMARY KEY (run_id, round, attempt)
  );
  CREATE UNIQUE INDEX one_completed_attempt ON rounds(run_id, round) WHERE status = 'completed';
  CREATE TABLE checkpoints (
    run_id        INTEGER NOT NULL REFERENCES runs(run_id),
    round         INTEGER NOT NULL,
    weights       BLOB NOT NULL,
    strategy_json TEXT,
    strategy_tensors BLOB,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (run_id, round)
  );
  CREATE TABLE node_results (
    run_id        INTEGER NOT NULL,
    round         INTEGER NOT NULL,
    attempt       INTEGER NOT NULL,
    node          TEXT NOT NULL,
    phase         TEXT NOT NULL CHECK (phase IN ('fit', 'evaluate')),
    status        TEXT NOT NULL CHECK (status IN ('accepted', 'rejected', 'dropped')),
    num_samples   INTEGER,
    metrics_json  TEXT,
    message       TEXT,
    recorded_at   TEXT NOT NULL,
    PRIMARY KEY (run_id, round, attempt, node, phase),
    FOREIGN KEY (run_id, round, attempt) REFERENCES rounds(run_id, round, attempt)
  );
  CREATE TABLE nodes (
    run_id        INTEGER NOT NULL REFERENCES runs(run_id),
    node          TEXT NOT NULL,
    joins         INTEGER NOT NULL,
    first_seen    TEXT NOT NULL,
    last_seen     TEXT NOT NULL,
    PRIMARY KEY (run_id, node)
  );
  `,
  `
  CREATE TABLE statistics (
    run_id        INTEGER PRIMARY KEY REFERENCES runs(run_id),
    image_count   INTEGER NOT NULL,
    nodes         INTEGER NOT NULL,
    aggregation   TEXT NOT NULL,
    mean_json     TEXT NOT NULL,
    std_json      TEXT NOT NULL,
    created_at    TEXT NOT NULL
  );
  `,
  `
  CREATE TABLE ledger_heads (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id        INTEGER NOT NULL REFERENCES runs(run_id),
    node          TEXT NOT NULL,
    round         INTEGER NOT NULL,
    entries       INTEGER NOT NULL CHECK (entries >= 0),
    hash          TEXT NOT NULL CHECK (length(hash) = 64),
    recorded_at   TEXT NOT NULL
  );
  CREATE INDEX ledger_heads_by_node ON ledger_heads(node, seq);
  CREATE UNIQUE INDEX ledger_head_per_round ON ledger_heads(run_id, node, round);
  `,
  `
  CREATE TABLE stain_reference (
    run_id        INTEGER PRIMARY KEY REFERENCES runs(run_id),
    tile_count    INTEGER NOT NULL,
    nodes         INTEGER NOT NULL,
    aggregation   TEXT NOT NULL,
    reference_json TEXT NOT NULL,
    created_at    TEXT NOT NULL
  );
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export function schemaVersion(db: SqliteDatabase): number {
  const table = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'federation_schema'`).get();
  if (!table) return 0;
  const row = db.prepare('SELECT version FROM federation_schema').get() as { version: number } | undefined;
  return row?.version ?? 0;
}

export function migrate(db: SqliteDatabase): void {
  const current = schemaVersion(db);
  if (current === SCHEMA_VERSION) return;
  if (current > SCHEMA_VERSION) {
    throw new PrivmedError(`${db.name}: database schema version ${current} is newer than this privmed understands (${SCHEMA_VERSION})`);
  }
  if (current === 0) {
    // A file that already holds other tables (a node's privacy ledger, another program's data) is not ours to extend.
    const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).all() as { name: string }[]).map((t) => t.name);
    if (tables.length > 0) {
      throw new PrivmedError(`${db.name}: not a privmed coordinator database: it already holds other tables (${tables.slice(0, 5).join(', ')})`, {
        hint: 'point the coordinator\'s database: at a new file (a node\'s privacy ledger must stay a file of its own)',
      });
    }
  }
  db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS federation_schema (version INTEGER NOT NULL)');
    for (let v = current; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]!);
    db.prepare('DELETE FROM federation_schema').run();
    db.prepare('INSERT INTO federation_schema (version) VALUES (?)').run(SCHEMA_VERSION);
  })();
}
