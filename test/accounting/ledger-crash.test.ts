import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { PrivacyLedger, type LedgerDatabase } from '../../src/accounting/ledger.js';

const fixture = fileURLToPath(new URL('./fixtures/append-forever.ts', import.meta.url));

/** Runs the appending child until it has reported `atLeast` commits, then SIGKILLs it mid-stream. */
async function appendThenKill(file: string, atLeast: number, extraMs: number): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let lastCommitted = 0;
  let buffered = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) lastCommitted = Math.max(lastCommitted, Number(line));
      if (lastCommitted >= atLeast) resolve();
    });
    child.on('exit', () => reject(new Error(`append child exited early: ${stderr}`)));
    setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`append child reported only ${lastCommitted} commits in 60 s: ${stderr}`));
    }, 60_000).unref();
  });
  await new Promise((r) => setTimeout(r, extraMs)); // let it get into the middle of another append
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL');
  return lastCommitted;
}

test('kill -9 while appending leaves a valid ledger with every reported release', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'privmed-crash-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'ledger.sqlite');
  let reported = 0;
  for (const [round, extraMs] of [[1, 7], [2, 23]] as const) {
    reported = await appendThenKill(file, reported + 40, extraMs);

    // The file opens (the WAL is recovered) and SQLite finds it intact.
    const Database = createRequire(import.meta.url)('better-sqlite3') as new (f: string) => LedgerDatabase;
    const raw = new Database(file);
    assert.equal(raw.pragma('integrity_check', { simple: true }), 'ok', `round ${round}`);
    raw.close();

    // Every release the child saw committed is there, ids have no holes, all entries parse.
    const ledger = PrivacyLedger.open(file, { mustExist: true });
    const entries = ledger.entries();
    assert.ok(entries.length >= reported, `round ${round}: ${entries.length} entries but ${reported} were reported committed`);
    assert.deepEqual(
      entries.map((e) => e.id),
      entries.map((_, i) => i + 1),
    );
    assert.ok(entries.every((e) => e.kind === 'dp-sgd' && e.mechanism.type === 'subsampled-gaussian' && e.note.startsWith('append ')));
    assert.ok(ledger.report(1e-5).maxEpsilon > 0);
    reported = entries.length;
    ledger.close();
  }
});
