/**
 * `privmed attack` refuses bad input with the option, what was expected and what came,
 * before any training starts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needData } from '../helpers/data.js';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
// The audit control trains 80 epochs of 800 images: its bound is generous (it passed 120 s at load 12).
const run = (args: string[], timeout = 120_000) => spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'attack', ...args], { encoding: 'utf8', timeout });

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

test('privmed attack audit --claim: a control run without noise, held to a claimed epsilon 0.1, fails the command with eps_lb named', { timeout: 560_000 }, (t) => {
  const file = needData(t, 'pneumoniamnist/pneumoniamnist.npz');
  if (!file) return;
  const out = mkdtempSync(join(tmpdir(), 'privmed-audit-fail-'));
  const refused = run(['audit', '--out', out, '--claim', '0.1']);
  assert.notEqual(refused.status, 0);
  assert.match(refused.stderr, /--claim needs --control/);
  // 400 flipped-label canaries memorised over 80 epochs without noise: measured eps_lb 0.84 (seed 1), far above 0.1.
  const r = run(['audit', '--data', file, '--out', out, '--control', '--claim', '0.1', '--canaries', '400', '--base', '400', '--epochs', '80', '--batch-size', '32'], 540_000);
  assert.equal(r.status, 1, `exit ${r.status} (signal ${r.signal}): ${r.stderr}`);
  assert.match(r.stderr, /FAIL: eps_lb > epsilon/);
  const lb = Number(/eps_lb (\d+\.\d+) exceeds the claimed epsilon 0\.1000: the DP guarantee does not hold/.exec(r.stderr)?.[1]);
  assert.ok(lb > 0.1, r.stderr);
  const saved = JSON.parse(readFileSync(join(out, 'audit-control.json'), 'utf8')) as { epsilon: number; passed: boolean; epsLb: number };
  assert.equal(saved.epsilon, 0.1);
  assert.equal(saved.passed, false);
  assert.equal(saved.epsLb.toFixed(4), lb.toFixed(4));
});
