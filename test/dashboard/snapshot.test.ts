/**
 * What the dashboard makes of a run store written by the real RunStore:
 * a refused and a dropped node, a round in progress, secure aggregation's
 * hidden sample counts, epsilon as nodes reported it, a second run in the
 * same file, and a database opened read-only (it is never written).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunSnapshots } from '../../src/dashboard/snapshot.js';
import { RunStore } from '../../src/federation/store/run-store.js';
import { openDatabase } from '../../src/federation/store/sqlite.js';

const weights = [Float32Array.from([1, 2])];
const specs = [{ name: 'w', shape: [2] }];

function writeRun(store: RunStore, name: string, aggregation: string) {
  const config = { runName: name, allowedNodes: ['alice', 'bob', 'carol'], aggregation, privacy: { delta: 1e-5, targetEpsilon: 3 } };
  const run = store.createRun(name, JSON.stringify(config), 'f', 3);
  store.saveInitialCheckpoint(run.runId, specs, weights, null);
  for (const n of ['alice', 'bob', 'carol']) store.nodeSeen(run.runId, n, true);
  const a1 = store.startAttempt(run.runId, 1, ['alice', 'bob', 'carol']);
  const samples = aggregation === 'plain' ? 40 : undefined;
  store.recordNodeResult(run.runId, 1, a1, 'alice', 'fit', 'accepted', { numSamples: samples, metrics: aggregation === 'plain' ? { epsilon: 1.5 } : {} });
  store.recordNodeResult(run.runId, 1, a1, 'bob', 'fit', 'rejected', { message: "privacy budget of 'bob' would be exceeded" });
  store.recordNodeResult(run.runId, 1, a1, 'carol', 'fit', 'dropped', { message: 'node left: heartbeat timeout' });
  store.recordNodeResult(run.runId, 1, a1, 'alice', 'evaluate', 'accepted', { numSamples: 10, metrics: { loss: 0.4, tp: 4, fp: 1, tn: 4, fn: 1 } });
  store.commitRound({ runId: run.runId, round: 1, attempt: a1, weights, strategyState: null, fitMetrics: { loss: 0.5 }, evalMetrics: { loss: 0.4, auc: 0.8, mcc: 0.6 }, best: { round: 1, metric: 0.6 } });
  store.startAttempt(run.runId, 2, ['alice', 'carol']);
}

test('a run store seen by the dashboard: refusals, dropouts, a round in progress, hidden counts, reported epsilon', () => {
  const dir = mkdtempSync(join(tmpdir(), 'privmed-dash-'));
  const file = join(dir, 'state.db');
  const db = openDatabase(file);
  const store = new RunStore(db);
  writeRun(store, 'first', 'plain');
  writeRun(store, 'second', 'secagg');
  db.close();
  const before = statSync(file).mtimeMs;

  const plain = new RunSnapshots(file, { runName: 'first' }).take();
  assert.equal(plain.mode, 'database');
  assert.deepEqual([plain.run?.name, plain.run?.currentRound, plain.run?.roundsCompleted, plain.run?.best], ['first', 2, 1, { round: 1, metric: 0.6 }]);
  assert.deepEqual(
    plain.sites.map((s) => [s.node, s.connected, s.dataSize, s.roundStatus]),
    [['alice', null, 40, 'training'], ['bob', null, null, 'idle'], ['carol', null, null, 'training']],
  );
  const [r1, r2] = plain.rounds;
  assert.deepEqual([r1!.participants, r1!.rejected, r1!.dropouts, r1!.status, r1!.protocol], [['alice'], ['bob'], ['carol'], 'completed', 'plain']);
  assert.equal(r2!.status, 'running');
  assert.deepEqual(plain.privacy.sites, [{ site: 'alice', epsilon: 1.5, source: 'reported' }]);
  assert.equal(plain.privacy.budget, 3);
  // alice's evaluation MCC comes from her confusion counts: (16 - 1) / 25.
  assert.match(plain.charts.mcc, />alice</);
  assert.match(plain.charts.epsilon, /alice \(reported by node\)/);
  assert.ok(plain.log.some((l) => /round 1: fit result of bob rejected: privacy budget of 'bob' would be exceeded/.test(l)), plain.log.join('\n'));

  // Without a name: the newest run. Under secure aggregation no count is released.
  const secagg = new RunSnapshots(file);
  const s = secagg.take();
  assert.equal(s.run?.name, 'second');
  assert.equal(s.sites.find((x) => x.node === 'alice')!.dataSize, null);
  assert.deepEqual(s.privacy.sites, []);
  secagg.close();
  assert.equal(statSync(file).mtimeMs, before, 'the database file was not written');
});

test('before the coordinator has created its file the dashboard shows an empty run', () => {
  const s = new RunSnapshots(join(tmpdir(), 'privmed-no-such-dir', 'state.db')).take();
  assert.equal(s.run, null);
  assert.deepEqual([s.sites, s.rounds, s.log], [[], [], []]);
  assert.match(s.charts.auc, /no data yet/);
});
