/**
 * `privmed attack` refuses bad input with the option, what was expected and what came,
 * before any training starts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
const run = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'attack', ...args], { encoding: 'utf8', timeout: 120_000 });

test('privmed attack: unknown target, odd model count, bad result name and bad numbers are refused clearly', { timeout: 300_000 }, () => {
  const out = mkdtempSync(join(tmpdir(), 'privmed-attack-cli-'));
  const cases: [string[], RegExp][] = [
    [['inversion', '--out', out, '--targets', 'plain,tls'], /--targets: unknown target 'tls' \(use plain, secagg, dp, ckks\)/],
    [['inversion', '--out', out, '--name', 'x.json'], /--name: expected a file name inversion\*\.json/],
    [['membership', '--out', out, '--models', '2'], /--models: expected a whole number >= 4, got '2'/],
    [['audit', '--out', out, '--epsilon', 'eight'], /--epsilon: expected a number, got 'eight'/],
  ];
  for (const [args, expected] of cases) {
    const r = run(args);
    assert.notEqual(r.status, 0, `${args.join(' ')} should fail`);
    assert.match(r.stderr, expected, `${args.join(' ')}: ${r.stderr}`);
  }
});
