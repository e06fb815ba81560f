import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { PrivacyLedger, type LedgerDatabase } from '../../src/accounting/ledger.js';
import { explainEpsilon } from '../../src/accounting/create-accountant.js';
import { PrivmedError } from '../../src/common/errors.js';
import type { Release } from '../../src/accounting/release.js';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'privmed-ledger-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const sgd = (site: string, steps: number, noiseMultiplier = 1.1): Release => ({
  site,
  kind: 'dp-sgd',
  mechanism: { type: 'subsampled-gaussian', noiseMultiplier, sampleRate: 0.02, steps, sampling: 'poisson' },
  note: `round of ${steps} steps`,
});

test('entries persist across reopen, in order, with time and note', (t) => {
  const file = join(tempDir(t), 'ledger.sqlite');
  const clock = () => new Date('2025-03-01T10:00:00Z');
  const a = PrivacyLedger.open(file, { clock });
  a.append(sgd('hospital-a', 100));
  a.append({ site: 'hospital-b', kind: 'statistics', mechanism: { type: 'laplace', sensitivity: 1, noiseScale: 4 }, note: 'label counts' });
  a.close();
  const b = PrivacyLedger.open(file);
  const entries = b.entries();
  assert.equal(entries.length, 2);
  assert.deepEqual(
    entries.map((e) => [e.id, e.site, e.kind, e.recordedAt, e.note]),
    [
      [1, 'hospital-a', 'dp-sgd', '2025-03-01T10:00:00.000Z', 'round of 100 steps'],
      [2, 'hospital-b', 'statistics', '2025-03-01T10:00:00.000Z', 'label counts'],
    ],
  );
  assert.deepEqual(entries[1]!.mechanism, { type: 'laplace', sensitivity: 1, noiseScale: 4 });
  assert.deepEqual(b.sites(), ['hospital-a', 'hospital-b']);
  assert.equal(b.entries('hospital-a').length, 1);
  const mode = (b as unknown as { db: LedgerDatabase }).db.pragma('journal_mode', { simple: true });
  assert.equal(mode, 'wal');
  b.close();
});

test('append-only: the database itself refuses UPDATE and DELETE', (t) => {
  const file = join(tempDir(t), 'ledger.sqlite');
  const ledger = PrivacyLedger.open(file);
  ledger.append(sgd('hospital-a', 10));
  ledger.close();
  assert.equal(Object.getOwnPropertyNames(PrivacyLedger.prototype).filter((m) => /update|delete|remove|clear|edit/i.test(m)).length, 0);
  const Database = createRequire(import.meta.url)('better-sqlite3') as new (f: string) => LedgerDatabase;
  const raw = new Database(file);
  assert.throws(() => raw.prepare(`UPDATE privacy_ledger SET site = 'x'`).run(), /append-only/);
  assert.throws(() => raw.prepare(`DELETE FROM privacy_ledger`).run(), /append-only/);
  assert.equal((raw.prepare('SELECT count(*) AS n FROM privacy_ledger').get() as { n: number }).n, 1);
  raw.close();
});

test('budget: a release that would exceed it is refused, names site, budget and cost, and writes nothing', (t) => {
  const file = join(tempDir(t), 'ledger.sqlite');
  const ledger = PrivacyLedger.open(file, { budget: { epsilon: 3, delta: 1e-5 }, siteBudgets: { 'hospital-b': { epsilon: 10, delta: 1e-5 } } });
  ledger.append(sgd('hospital-a', 300));
  const spent = ledger.siteCost('hospital-a', 1e-5).epsilon;
  assert.ok(spent < 3);
  let error: unknown;
  try {
    ledger.append(sgd('hospital-a', 3000));
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof PrivmedError);
  const message = (error as PrivmedError).message;
  assert.match(message, /site 'hospital-a'/);
  assert.match(message, /epsilon 3 at delta 0.00001/);
  const alone = explainEpsilon([{ noiseMultiplier: 1.1, sampleRate: 0.02, steps: 3000, sampling: 'poisson' }], 1e-5).epsilon;
  assert.match(message, new RegExp(`on its own it costs epsilon ${Number(alone.toPrecision(5))}`));
  assert.match(message, new RegExp(`from epsilon ${Number(spent.toPrecision(5))} to `));
  assert.equal(ledger.count(), 1);
  // The per-site budget of hospital-b is larger, so the same release fits there.
  ledger.append(sgd('hospital-b', 3000));
  assert.equal(ledger.count(), 2);
  // Pure-DP releases count too: 2.9 would push hospital-a over 3.
  assert.throws(() => ledger.append({ site: 'hospital-a', kind: 'model-selection', mechanism: { type: 'pure-dp', epsilon: 2.9 } }), /release refused/);
  ledger.close();
});

test('report composes per site with the accountant, adds pure-DP releases, and takes the max', (t) => {
  const file = join(tempDir(t), 'ledger.sqlite');
  const ledger = PrivacyLedger.open(file);
  ledger.append(sgd('a', 500));
  ledger.append(sgd('a', 700));
  ledger.append({ site: 'a', kind: 'statistics', mechanism: { type: 'laplace', sensitivity: 2, noiseScale: 10, count: 3 } });
  ledger.append({ site: 'b', kind: 'statistics', mechanism: { type: 'gaussian', sensitivity: 1, noiseStd: 5 } });
  ledger.append({ site: 'b', kind: 'hparam-trial', mechanism: { type: 'subsampled-gaussian', noiseMultiplier: 0.9, sampleRate: 0.05, steps: 3000, sampling: 'poisson' } });
  const report = ledger.report(1e-5);
  assert.equal(report.accountant, 'rdp');
  const [a, b] = report.sites;
  const sgdA = explainEpsilon([{ noiseMultiplier: 1.1, sampleRate: 0.02, steps: 1200, sampling: 'poisson' }], 1e-5).epsilon;
  assert.equal(a!.site, 'a');
  assert.equal(a!.releases, 3);
  assert.ok(Math.abs(a!.accountantEpsilon - sgdA) < 1e-12);
  assert.ok(Math.abs(a!.pureEpsilon - 0.6) < 1e-12);
  assert.ok(Math.abs(a!.epsilon - (sgdA + 0.6)) < 1e-12);
  const sgdB = explainEpsilon(
    [
      { noiseMultiplier: 5, sampleRate: 1, steps: 1, sampling: 'poisson' },
      { noiseMultiplier: 0.9, sampleRate: 0.05, steps: 3000, sampling: 'poisson' },
    ],
    1e-5,
  ).epsilon;
  assert.ok(Math.abs(b!.epsilon - sgdB) < 1e-12);
  assert.equal(report.maxEpsilon, Math.max(a!.epsilon, b!.epsilon));
  assert.equal(report.maxSite, b!.epsilon > a!.epsilon ? 'b' : 'a');
  const gdp = ledger.report(1e-5, 'gdp');
  assert.equal(gdp.approximation, 'CLT');
  assert.deepEqual(PrivacyLedger.open(join(tempDir(t), 'empty.sqlite')).report(1e-5).maxEpsilon, 0);
  ledger.close();
});

test('the ledger can live in a database handle it does not own', (t) => {
  const file = join(tempDir(t), 'coordinator.sqlite');
  const Database = createRequire(import.meta.url)('better-sqlite3') as new (f: string) => LedgerDatabase;
  const db = new Database(file);
  db.exec('CREATE TABLE rounds (id INTEGER PRIMARY KEY)');
  const ledger = PrivacyLedger.open(db);
  ledger.append(sgd('a', 5));
  ledger.close(); // leaves the coordinator's handle open
  assert.equal((db.prepare('SELECT count(*) AS n FROM privacy_ledger').get() as { n: number }).n, 1);
  db.close();
});

test('bad releases and bad files are user errors that say what is wrong', (t) => {
  const dir = tempDir(t);
  const ledger = PrivacyLedger.open(join(dir, 'ledger.sqlite'));
  assert.throws(() => ledger.append({ ...sgd('a', 5), site: '' }), /field 'site'/);
  assert.throws(
    () => ledger.append({ site: 'a', kind: 'dp-sgd', mechanism: { type: 'laplace', sensitivity: 1, noiseScale: 1 } }),
    /a 'dp-sgd' release cannot use mechanism 'laplace'/,
  );
  assert.throws(
    () => ledger.append({ site: 'a', kind: 'dp-sgd', mechanism: { type: 'subsampled-gaussian', noiseMultiplier: 0, sampleRate: 0.1, steps: 1, sampling: 'poisson' } }),
    (e: unknown) => e instanceof PrivmedError && /mechanism.noiseMultiplier/.test(e.message) && /got 0/.test(e.message),
  );
  assert.equal(ledger.count(), 0);
  ledger.close();
  assert.throws(() => PrivacyLedger.open(join(dir, 'missing.sqlite'), { mustExist: true }), /cannot open privacy ledger \(file not found\)/);
  const Database = createRequire(import.meta.url)('better-sqlite3') as new (f: string) => LedgerDatabase;
  const other = new Database(join(dir, 'other.sqlite'));
  other.exec('CREATE TABLE x (y)');
  other.close();
  assert.throws(() => PrivacyLedger.open(join(dir, 'other.sqlite'), { mustExist: true }), /not a privmed privacy ledger/);
  assert.throws(() => PrivacyLedger.open(join(dir, 'b.sqlite'), { budget: { epsilon: -1, delta: 1e-5 } }), /epsilon must be/);
  assert.throws(() => PrivacyLedger.open(join(dir, 'c.sqlite'), { accountant: 'gdp' as 'rdp' }), /approximation/);
});
