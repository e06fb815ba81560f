import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, mkdirSync, writeFileSync, renameSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { replaceDirAtomic, recoverDir } from '../../src/common/atomic.js';

const CHILD = join(import.meta.dirname, '..', 'fixtures', 'train-child.ts');

function runChild(dir: string, epochs: number, mode: string, killWhen?: (e: { type: string; epoch: number }) => boolean): Promise<{ events: { type: string; epoch: number; resumedFromEpoch?: number }[]; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, String(epochs), mode], { stdio: ['ignore', 'pipe', 'inherit'] });
    const events: { type: string; epoch: number }[] = [];
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('child timed out'));
    }, 120_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const e = JSON.parse(line) as { type: string; epoch: number };
      events.push(e);
      if (killWhen?.(e)) child.kill('SIGKILL');
    });
    child.on('exit', (_code, signal) => {
      clearTimeout(timer);
      resolve({ events, signal });
    });
  });
}

test('kill -9 mid-epoch: the last checkpoint survives and resume continues from it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'privmed-kill-'));
  // Kill in the middle of epoch index 1 (the second epoch), after epoch 1 was checkpointed.
  const first = await runChild(dir, 3, 'fresh', (e) => e.type === 'batch' && e.epoch === 1 && (e as unknown as { step: number }).step === 20);
  assert.equal(first.signal, 'SIGKILL');
  const state = JSON.parse(readFileSync(join(dir, 'checkpoint', 'state.json'), 'utf8')) as { epoch: number };
  assert.equal(state.epoch, 1);
  const second = await runChild(dir, 3, 'resume');
  assert.equal(second.signal, null);
  const start = second.events.find((e) => e.type === 'start')!;
  assert.equal(start.resumedFromEpoch, 1);
  assert.deepEqual(second.events.filter((e) => e.type === 'epoch').map((e) => e.epoch), [2, 3]);
});

test('an interrupted folder swap is recovered: the old folder comes back', () => {
  const root = mkdtempSync(join(tmpdir(), 'privmed-swap-'));
  const dir = join(root, 'ck');
  replaceDirAtomic(dir, (tmp) => writeFileSync(join(tmp, 'a'), 'v1'));
  // Simulate a crash between "old moved aside" and "new moved in".
  renameSync(dir, `${dir}.old`);
  mkdirSync(`${dir}.tmp-999`);
  recoverDir(dir);
  assert.equal(readFileSync(join(dir, 'a'), 'utf8'), 'v1');
  replaceDirAtomic(dir, (tmp) => writeFileSync(join(tmp, 'a'), 'v2'));
  assert.equal(readFileSync(join(dir, 'a'), 'utf8'), 'v2');
  assert.equal(existsSync(`${dir}.old`), false);
});
