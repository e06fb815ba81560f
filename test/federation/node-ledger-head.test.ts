/**
 * The DP budget cannot be reset on the node's disk (#18 item 1, federation
 * part). Real processes: a coordinator and two DP nodes. Each node reports its
 * privacy ledger's head with every reply; the coordinator stores it per node
 * and round and sends the last one back with every task. After round 1 alice
 * is killed and her ledger deleted, truncated (triggers dropped, rows
 * deleted) or rewritten (an entry changed and the whole chain recomputed, as a
 * careful attacker would): each time the restarted node refuses to go on,
 * naming the ledger file. With the ledger restored the run completes.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { PrivacyLedger } from '../../src/accounting/index.js';
import { chainLink, GENESIS } from '../../src/accounting/ledger-chain.js';
import { openDatabase } from '../../src/federation/store/sqlite.js';
import { makeFederation, type Federation } from './helpers/federation-setup.js';
import { exitCode, killAll, spawnFixture, type Child } from './helpers/processes.js';

type Db = { prepare(sql: string): { run(...a: unknown[]): unknown; all(...a: unknown[]): unknown[] }; exec(sql: string): void; close(): void };
const Database = createRequire(import.meta.url)('better-sqlite3') as new (path: string) => Db;

interface HeadRow {
  node: string;
  round: number;
  entries: number;
  hash: string;
}

function heads(database: string): HeadRow[] {
  const db = openDatabase(database, { readonly: true });
  try {
    return db.prepare('SELECT node, round, entries, hash FROM ledger_heads ORDER BY seq').all() as HeadRow[];
  } finally {
    db.close();
  }
}

/** Every file of the SQLite database at `path` (its WAL may hold committed entries after kill -9). */
function sqliteFiles(path: string): string[] {
  return ['', '-wal', '-shm'].map((s) => path + s);
}

function copyDb(from: string, to: string): void {
  for (const [a, b] of sqliteFiles(from).map((f, i) => [f, sqliteFiles(to)[i]!] as const)) {
    rmSync(b, { force: true });
    if (existsSync(a)) copyFileSync(a, b);
  }
}

/** As an attacker who controls the node's disk: drop the triggers and edit the rows. */
function tamper(path: string, edit: (db: Db) => void): void {
  const db = new Database(path);
  try {
    db.exec('DROP TRIGGER IF EXISTS privacy_ledger_no_update; DROP TRIGGER IF EXISTS privacy_ledger_no_delete');
    edit(db);
  } finally {
    db.close();
  }
}

describe('node ledger head in the federation database (real processes)', () => {
  let fed: Federation | undefined;
  after(async () => {
    await killAll();
    fed?.cleanup();
  });

  it('records each node head per round; a node refuses a deleted, truncated or rewritten ledger and goes on once it is restored', async () => {
    fed = await makeFederation(['alice', 'bob']);
    const f = fed;
    const database = join(f.dir, 'fed.db');
    const config = f.coordinatorConfig({
      database,
      rounds: 3,
      minNodes: 2,
      maxRoundAttempts: 12,
      waitForNodesTimeoutSec: 120,
      heartbeatIntervalSec: 0.5,
      heartbeatTimeoutSec: 4,
      roundTimeoutSec: 90,
      fit: { localEpochs: 1 },
    });
    const coordinator = spawnFixture('coordinator', 'coordinator-main.ts', { config, initialModel: 'ask-node' }, f.dir);
    const address = `127.0.0.1:${(await coordinator.waitForEvent((e) => e.type === 'listening', 30_000, 'listening')).port as number}`;
    const node = (name: string, index: number): Child => spawnFixture(name, 'dp-node-main.ts', { config: f.nodeConfig(name, address), dir: f.dir, node: name, index }, f.dir);
    let alice = node('alice', 0);
    node('bob', 1);
    await coordinator.waitForEvent((e) => e.type === 'round-completed' && e.round === 1, 180_000, 'round 1');
    await alice.kill9();

    const ledger = join(f.dir, 'alice-ledger.sqlite');
    const backup = join(f.dir, 'alice-backup.sqlite');
    copyDb(ledger, backup);
    const recorded = heads(database).filter((h) => h.node === 'alice').at(-1)!;
    assert.ok(recorded && recorded.entries >= 1, 'alice reported her head with her round-1 update');

    const refusal = async (what: string, expected: RegExp) => {
      alice = node('alice', 0);
      assert.equal(await exitCode(alice, 120_000), 1, `${what}: the node must stop`);
      const stderr = alice.stderr();
      assert.ok(stderr.includes(ledger), `${what}: the error names the ledger file:\n${stderr}`);
      assert.match(stderr, expected, what);
      // It trained nothing: no fit was submitted.
      assert.ok(!alice.events.some((e) => e.type === 'submitted' && e.kind === 'fit' && e.accepted), what);
    };

    for (const f2 of sqliteFiles(ledger)) rmSync(f2, { force: true });
    // The node's DP setup makes an empty ledger at start (fixed noise); without one it would say 'missing'.
    await refusal('deleted', new RegExp(`(has 0 entries, but|is missing, but) the coordinator \\(this node's last report\\) recorded ${recorded.entries}`));

    copyDb(backup, ledger);
    tamper(ledger, (db) => db.prepare('DELETE FROM privacy_ledger WHERE id >= ?').run(recorded.entries));
    await refusal('truncated', new RegExp(`has ${recorded.entries - 1} entries, but the coordinator \\(this node's last report\\) recorded ${recorded.entries}: it was deleted, truncated or replaced`));

    copyDb(backup, ledger);
    tamper(ledger, (db) => {
      // Entry 1 made cheaper, and every link recomputed so that the file is consistent in itself.
      db.prepare("UPDATE privacy_ledger SET note = 'nothing to see' WHERE id = 1").run();
      const rows = db.prepare('SELECT * FROM privacy_ledger ORDER BY id').all() as Parameters<typeof chainLink>[1][];
      let previous = GENESIS;
      for (const row of rows) {
        previous = chainLink(previous, row);
        db.prepare('UPDATE privacy_ledger SET chain = ? WHERE id = ?').run(previous, row.id);
      }
    });
    await refusal('rewritten', /are not the ones the coordinator \(this node's last report\) recorded .*: it was rewritten/);

    // Restored from the backup: the node goes on and the run completes.
    copyDb(backup, ledger);
    alice = node('alice', 0);
    const result = await coordinator.waitForEvent((e) => e.type === 'RESULT', 300_000, 'the run result');
    assert.equal(result.status, 'completed', JSON.stringify(result));
    assert.equal(await exitCode(alice, 30_000), 0, alice.stderr());

    const rows = heads(database);
    const final = PrivacyLedger.open(ledger, { mustExist: true });
    try {
      const last = rows.filter((h) => h.node === 'alice').at(-1)!;
      assert.deepEqual({ entries: last.entries, hash: last.hash }, final.head(), 'the coordinator holds the head of the ledger as it is now');
      assert.equal(last.round, 3);
    } finally {
      final.close();
    }
    for (const name of ['alice', 'bob']) {
      const mine = rows.filter((h) => h.node === name);
      assert.deepEqual([...new Set(mine.map((h) => h.round))].filter((r) => r >= 1).sort(), [1, 2, 3], `${name}: a head per round`);
      for (let i = 1; i < mine.length; i++) assert.ok(mine[i]!.entries >= mine[i - 1]!.entries, `${name}: heads only grow`);
    }
    const db = openDatabase(database, { readonly: true });
    try {
      assert.equal((db.prepare('PRAGMA integrity_check').all() as { integrity_check: string }[])[0]!.integrity_check, 'ok');
    } finally {
      db.close();
    }
  });
});
