import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeMedMnistNpz } from '../fixtures/npz-writer.js';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
  return { code: r.status, stderr: r.stderr, stdout: r.stdout };
}

function assertOneLineError(r: { code: number | null; stderr: string }, pattern: RegExp) {
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('  hint:') && !/^(engine|backend): /.test(l));
  assert.equal(lines.length, 1, `expected one error line, got:\n${r.stderr}`);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace without --verbose');
}

const dir = mkdtempSync(join(tmpdir(), 'privmed-cli-'));

test('a wrong config key names the key path', () => {
  const cfg = join(dir, 'bad-key.yaml');
  writeFileSync(cfg, 'training:\n  epoch: 3\n');
  assertOneLineError(cli(['train', '--config', cfg]), /bad-key\.yaml: config key 'training\.epoch': unknown key/);
});

test('a wrong config value names the key path, what was expected and what came', () => {
  const cfg = join(dir, 'bad-value.yaml');
  writeFileSync(cfg, 'training:\n  epochs: ten\n');
  assertOneLineError(cli(['train', '--config', cfg]), /config key 'training\.epochs': expected a number, got "ten"/);
});

test('a missing data path says where it looked and how to get the data', () => {
  const cfg = join(dir, 'ok.yaml');
  writeFileSync(cfg, `data:\n  root: ${join(dir, 'nowhere')}\n`);
  const r = cli(['train', '--config', cfg]);
  assertOneLineError(r, /data not found: .*nowhere\/pneumoniamnist\/pneumoniamnist\.npz/);
  assert.match(r.stderr, /hint: run 'privmed data fetch pneumoniamnist'/);
});

test('a truncated npz names the file and the reason', () => {
  const npz = join(dir, 'truncated.npz');
  const full = makeMedMnistNpz(4, 8);
  writeFileSync(npz, full.subarray(0, full.length - 40));
  const cfg = join(dir, 'trunc.yaml');
  writeFileSync(cfg, `data:\n  dataset: ${npz}\nbackend: cpu\n`);
  assertOneLineError(cli(['train', '--config', cfg]), /truncated\.npz: not a valid zip\/npz archive/);
});

test('--verbose adds the stack trace', () => {
  const cfg = join(dir, 'bad-key.yaml');
  const r = cli(['train', '--config', cfg, '--verbose']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^\s+at /m);
});

test('a YAML alias bomb is refused naming the file, not as an internal error', () => {
  const cfg = join(dir, 'bomb.yaml');
  const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 9; i++) levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
  writeFileSync(cfg, levels.join('\n') + '\n');
  assertOneLineError(cli(['train', '--config', cfg]), /bomb\.yaml: cannot read config \(.*alias/i);
});

test('an output folder that cannot be made names the path and why', () => {
  const file = join(dir, 'a-file');
  writeFileSync(file, 'x');
  const npz = join(dir, 'out-data.npz');
  writeFileSync(npz, makeMedMnistNpz(8, 8));
  const cfg = join(dir, 'bad-output.yaml');
  writeFileSync(cfg, `data: { dataset: ${npz} }\nmodel: { arch: small-cnn }\ntraining: { epochs: 1 }\noutput: ${join(file, 'run')}\n`);
  assertOneLineError(cli(['train', '--config', cfg]), /a-file\/run.*: a part of the path is not a folder \(mkdir, ENOTDIR\)|a-file.*not a folder/);
});

test('a coordinator database that is not SQLite, or is a node\'s privacy ledger, is refused naming the file', async () => {
  const { openDatabase } = await import('../../src/federation/store/sqlite.js');
  const { migrate } = await import('../../src/federation/store/schema.js');
  const { PrivacyLedger } = await import('../../src/accounting/index.js');
  const text = join(dir, 'notes.txt');
  writeFileSync(text, 'these are not the tables you are looking for\n'.repeat(100));
  assert.throws(() => openDatabase(text), /notes\.txt: not a usable SQLite database \(file is not a database\)/);
  const ledgerFile = join(dir, 'node-ledger.sqlite');
  PrivacyLedger.open(ledgerFile).close();
  const db = openDatabase(ledgerFile);
  try {
    assert.throws(() => migrate(db), /node-ledger\.sqlite: not a privmed coordinator database: it already holds other tables \(privacy_ledger\)/);
    assert.equal(db.prepare(`SELECT count(*) AS n FROM sqlite_master WHERE name = 'runs'`).get() && (db.prepare(`SELECT count(*) AS n FROM sqlite_master WHERE name = 'runs'`).get() as { n: number }).n, 0, 'no federation table was added');
  } finally {
    db.close();
  }
});
