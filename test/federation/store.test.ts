import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type SqliteDatabase } from '../../src/federation/store/sqlite.js';
import { RunStore, type RoundCommit } from '../../src/federation/store/run-store.js';

const specs = [{ name: 'k', shape: [2, 1] }, { name: 'b', shape: [1] }];
const weights = (v: number) => [Float32Array.of(v, v + 1), Float32Array.of(v + 2)];

describe('run store (real SQLite file)', () => {
  let dir: string;
  let file: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'privmed-store-'));
    file = join(dir, 'state.db');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function withStore<T>(fn: (store: RunStore, db: SqliteDatabase) => T): T {
    const db = openDatabase(file);
    try {
      return fn(new RunStore(db), db);
    } finally {
      db.close();
    }
  }

  const commit = (runId: number, round: number, attempt: number, extra: Partial<RoundCommit> = {}): RoundCommit => ({
    runId,
    round,
    attempt,
    weights: weights(round),
    strategyState: { json: { steps: round }, tensors: [Float32Array.of(round, -round)] },
    fitMetrics: { loss: 1 / round },
    evalMetrics: { mcc: round / 10 },
    best: { round, metric: round / 10 },
    ...extra,
  });

  it('uses WAL and keeps a round, its checkpoint and strategy state together', () => {
    withStore((store, db) => {
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      const run = store.createRun('r', '{}', 'fp', 3);
      store.saveInitialCheckpoint(run.runId, specs, weights(0), null);
      const attempt = store.startAttempt(run.runId, 1, ['alice', 'bob']);
      store.recordNodeResult(run.runId, 1, attempt, 'alice', 'fit', 'accepted', { numSamples: 10, metrics: { loss: 1 } });
      assert.throws(() => store.recordNodeResult(run.runId, 1, attempt, 'alice', 'fit', 'accepted'), /UNIQUE|PRIMARY KEY/);
      store.commitRound(commit(run.runId, 1, attempt));
      const cp = store.loadCheckpoint(run.runId, 1);
      assert.deepEqual(cp.weights, weights(1));
      assert.deepEqual(cp.strategyState, { json: { steps: 1 }, tensors: [Float32Array.of(1, -1)] });
      assert.equal(store.lastCompletedRound(run.runId), 1);
      assert.deepEqual(store.findRun('r')!.bestRound, 1);
    });
  });

  it('rolls the whole round back when a commit hook fails (e.g. the privacy ledger)', () => {
    withStore((store, db) => {
      db.exec('CREATE TABLE IF NOT EXISTS ledger (round INTEGER, epsilon REAL)');
      const run = store.findRun('r')!;
      let fail = true;
      store.onCommit((hookDb, c) => {
        hookDb.prepare('INSERT INTO ledger (round, epsilon) VALUES (?, ?)').run(c.round, 0.5);
        if (fail) throw new Error('ledger unavailable');
      });
      const attempt = store.startAttempt(run.runId, 2, ['alice']);
      assert.throws(() => store.commitRound(commit(run.runId, 2, attempt)), /ledger unavailable/);
      assert.equal(store.lastCompletedRound(run.runId), 1);
      assert.equal((db.prepare('SELECT COUNT(*) AS n FROM ledger').get() as { n: number }).n, 0);
      assert.throws(() => store.loadCheckpoint(run.runId, 2), /no checkpoint for round 2/);
      assert.equal(store.findRun('r')!.bestRound, 1);
      fail = false;
    });
  });

  it('after a crash, marks the running attempt interrupted and starts a new one', () => {
    withStore((store, db) => {
      const run = store.findRun('r')!;
      assert.equal(store.markInterrupted(run.runId), 1);
      const attempt = store.startAttempt(run.runId, 2, ['alice']);
      assert.equal(attempt, 2);
      store.commitRound(commit(run.runId, 2, attempt));
      const rows = db.prepare('SELECT attempt, status FROM rounds WHERE round = 2 ORDER BY attempt').all() as { attempt: number; status: string }[];
      assert.deepEqual(rows.map((r) => [r.attempt, r.status]), [[1, 'interrupted'], [2, 'completed']]);
      // A round is completed at most once: committing it again is refused.
      const again = store.startAttempt(run.runId, 2, ['alice']);
      assert.throws(() => store.commitRound(commit(run.runId, 2, again)), /UNIQUE|constraint/);
      assert.deepEqual(store.completedRounds(run.runId).map((r) => r.round), [1, 2]);
    });
  });

  it('keeps only the last and the best checkpoints when asked to', () => {
    withStore((store, db) => {
      const run = store.createRun('prune', '{}', 'fp', 5);
      store.saveInitialCheckpoint(run.runId, specs, weights(0), null);
      for (const round of [1, 2, 3]) {
        const attempt = store.startAttempt(run.runId, round, ['a']);
        store.commitRound(commit(run.runId, round, attempt, { best: { round: 1, metric: 0.9 }, keepRounds: [1] }));
      }
      const kept = (db.prepare('SELECT round FROM checkpoints WHERE run_id = ? ORDER BY round').all(run.runId) as { round: number }[]).map((r) => r.round);
      assert.deepEqual(kept, [1, 3]);
    });
  });

  it('can be read while open for writing (status during a run)', () => {
    const writer = openDatabase(file);
    const reader = openDatabase(file, { readonly: true });
    try {
      new RunStore(writer).createRun('concurrent', '{}', 'fp', 1);
      assert.equal(new RunStore(reader).findRun('concurrent')?.totalRounds, 1);
    } finally {
      reader.close();
      writer.close();
    }
  });
});
