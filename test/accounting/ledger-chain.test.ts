/**
 * The ledger's hash chain: a head recorded outside the ledger detects a ledger
 * deleted, truncated or rewritten (even with the triggers dropped and the
 * chain recomputed), and an edited row breaks the stored chain.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LedgerIntegrityError, PrivacyLedger, type Release } from '../../src/accounting/index.js';
import { chainLink, GENESIS } from '../../src/accounting/ledger-chain.js';

const Database = createRequire(import.meta.url)('better-sqlite3') as new (file: string) => { exec(sql: string): void; prepare(sql: string): { run(...a: unknown[]): unknown; all(): unknown[] }; close(): void };

const release = (steps: number): Release => ({ site: 'h', kind: 'dp-sgd', mechanism: { type: 'subsampled-gaussian', noiseMultiplier: 1, sampleRate: 0.1, steps, sampling: 'poisson' }, note: `epoch ${steps}` });

function ledgerWith(n: number): { file: string; head: ReturnType<PrivacyLedger['head']> } {
  const file = join(mkdtempSync(join(tmpdir(), 'privmed-chain-')), 'ledger.sqlite');
  const l = PrivacyLedger.open(file);
  for (let i = 1; i <= n; i++) l.append(release(i));
  const head = l.head();
  l.close();
  return { file, head };
}

function tamper(file: string, sql: string): void {
  const db = new Database(file);
  db.exec(`DROP TRIGGER privacy_ledger_no_update; DROP TRIGGER privacy_ledger_no_delete; ${sql}`);
  db.close();
}

test('each append extends the chain; a recorded head is verified by the grown ledger', () => {
  const { file, head } = ledgerWith(3);
  assert.equal(head.entries, 3);
  const l = PrivacyLedger.open(file);
  l.append(release(4));
  l.verifyExtends(head, 'the run plan');
  l.verifyExtends({ entries: 0, hash: GENESIS }, 'the run plan');
  assert.equal(l.head().entries, 4);
  assert.notEqual(l.head().hash, head.hash);
  l.close();
});

test('a deleted ledger (a fresh file in its place) is refused against the recorded head', () => {
  const { file, head } = ledgerWith(2);
  rmSync(file);
  const l = PrivacyLedger.open(file);
  assert.throws(() => l.verifyExtends(head, 'run/privacy-run.json'), (e: unknown) => e instanceof LedgerIntegrityError && /has 0 entries, but run\/privacy-run\.json recorded 2: it was deleted, truncated or replaced/.test(e.message));
  l.close();
});

test('rows deleted with the triggers dropped: truncated, refused', () => {
  const { file, head } = ledgerWith(3);
  tamper(file, 'DELETE FROM privacy_ledger WHERE id = 3;');
  const l = PrivacyLedger.open(file);
  assert.throws(() => l.verifyExtends(head, 'plan'), /has 2 entries, but plan recorded 3/);
  l.close();
});

test('an edited row breaks the stored chain; a rewrite with a recomputed chain still fails the recorded head', () => {
  const { file, head } = ledgerWith(3);
  tamper(file, `UPDATE privacy_ledger SET mechanism = json_set(mechanism, '$.steps', 1) WHERE id = 2;`);
  const edited = PrivacyLedger.open(file);
  assert.throws(() => edited.head(), /entry 2 does not match the chain/);
  assert.throws(() => edited.append(release(9)), /entry 2 does not match the chain/);
  edited.close();
  // The attacker recomputes every link: the file is consistent again, but not the one the run recorded.
  const db = new Database(file);
  db.exec('DROP TRIGGER privacy_ledger_no_update; DROP TRIGGER privacy_ledger_no_delete;'); // opening the ledger re-created them
  let previous = GENESIS;
  for (const row of db.prepare('SELECT * FROM privacy_ledger ORDER BY id').all() as Parameters<typeof chainLink>[1][]) {
    previous = chainLink(previous, row);
    db.prepare('UPDATE privacy_ledger SET chain = ? WHERE id = ?').run(previous, row.id);
  }
  db.close();
  const rewritten = PrivacyLedger.open(file);
  assert.equal(rewritten.head().entries, 3);
  assert.throws(() => rewritten.verifyExtends(head, 'plan'), /first 3 entries are not the ones plan recorded .*: it was rewritten/);
  rewritten.close();
});

test('a ledger from before the chain opens, gains the column, and chains from then on', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'privmed-chain-old-')), 'ledger.sqlite');
  const db = new Database(file);
  db.exec(`CREATE TABLE privacy_ledger (id INTEGER PRIMARY KEY AUTOINCREMENT, site TEXT NOT NULL, kind TEXT NOT NULL, mechanism TEXT NOT NULL, recorded_at TEXT NOT NULL, note TEXT NOT NULL DEFAULT '')`);
  db.prepare(`INSERT INTO privacy_ledger (site, kind, mechanism, recorded_at, note) VALUES ('h', 'dp-sgd', ?, '2026-01-01T00:00:00.000Z', '')`).run(JSON.stringify(release(1).mechanism));
  db.close();
  const l = PrivacyLedger.open(file);
  const before = l.head();
  assert.equal(before.entries, 1);
  l.append(release(2));
  l.verifyExtends(before, 'plan');
  assert.equal(l.entries('h').length, 2);
  l.close();
});
