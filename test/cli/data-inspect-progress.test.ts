import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDataInspect, type CliIo } from '../../src/cli/commands/data-inspect.js';
import { FakeTty } from '../helpers/fake-tty.js';

const dir = mkdtempSync(join(tmpdir(), 'privmed-inspect-progress-'));
for (const name of ['a.txt', 'b.txt', 'c.txt']) writeFileSync(join(dir, name), 'not an image');

function io(progress: FakeTty): CliIo & { lines: string[] } {
  const lines: string[] = [];
  return { lines, out: (l) => void lines.push(l), err: (l) => void lines.push(l), progress };
}

test('data inspect draws a files-done progress line on a TTY and clears it', async () => {
  const tty = new FakeTty(true, 60);
  const cli = io(tty);
  await runDataInspect(dir, {}, cli);
  assert.match(tty.text, /inspecting \[#+\] 3\/3 files/);
  assert.deepEqual(tty.screen(), [], 'nothing left once the report is printed');
  assert.ok(cli.lines.length > 0, 'the report itself is unchanged');
});

test('data inspect prints no progress off a TTY or with --json', async () => {
  for (const [stream, json] of [[new FakeTty(false), false], [new FakeTty(true), true]] as const) {
    const cli = io(stream);
    await runDataInspect(dir, { json }, cli);
    assert.equal(stream.text, '');
    if (json) assert.doesNotThrow(() => JSON.parse(cli.lines.join('\n')), 'stdout holds the JSON report only');
  }
});
