import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerPrivacyCommands } from '../../src/cli/commands/privacy.js';
import { PrivacyLedger } from '../../src/accounting/ledger.js';
import { PrivmedError } from '../../src/common/errors.js';

/** Runs `privmed <args>` in-process and returns what it printed. */
async function privmed(...args: string[]): Promise<string[]> {
  const lines: string[] = [];
  const program = new Command('privmed').exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
  registerPrivacyCommands(program, { write: (line) => lines.push(line) });
  await program.parseAsync(args, { from: 'user' });
  return lines;
}

async function json(...args: string[]): Promise<Record<string, unknown>> {
  const lines = await privmed(...args, '--json');
  assert.equal(lines.length, 1, 'one JSON object on one line');
  return JSON.parse(lines[0]!) as Record<string, unknown>;
}

const run = ['--sample-rate', '0.04', '--noise-multiplier', '1.5', '--steps', '2250', '--delta', '1e-5'];

test('privacy epsilon --json for each accountant', async () => {
  const rdp = await json('privacy', 'epsilon', '--accountant', 'rdp', ...run);
  assert.ok(Math.abs((rdp.epsilon as number) - 7.32911117143) < 5e-8);
  assert.equal(rdp.accountant, 'rdp');
  assert.equal(rdp.delta, 1e-5);
  assert.equal(rdp.order, 3.9);
  const gdp = await json('privacy', 'epsilon', '--accountant', 'gdp', ...run.slice(0, 4), '--steps', '2249', '--delta', '1e-5');
  assert.equal(gdp.approximation, 'CLT');
  assert.ok((gdp.epsilon as number) > 6.59 && (gdp.epsilon as number) < 6.6);
  const prv = await json('privacy', 'epsilon', '--accountant', 'prv', '--sample-rate', '0.001', '--noise-multiplier', '0.8', '--steps', '100', '--delta', '1e-6');
  assert.ok(Math.abs((prv.epsilon as number) - 0.270403364058) < 5e-6);
  assert.ok((prv.lower as number) < (prv.estimate as number));
  const uniform = await json('privacy', 'epsilon', ...run, '--sampling', 'uniform');
  assert.equal(uniform.sampling, 'uniform');
  assert.ok((uniform.epsilon as number) > (rdp.epsilon as number));
});

test('privacy epsilon prints a readable line that says what kind of number it is', async () => {
  const [rdp] = await privmed('privacy', 'epsilon', ...run);
  assert.match(rdp!, /^epsilon <= 7\.32911 at delta 0\.00001 \(rdp accountant: guaranteed upper bound, best RDP order 3\.9/);
  const [gdp] = await privmed('privacy', 'epsilon', '--accountant', 'gdp', ...run);
  assert.match(gdp!, /^epsilon ~ 6\.6\d+ .*CLT APPROXIMATION, not a guaranteed bound/);
});

test('privacy noise --json matches Opacus calibration', async () => {
  const rdp = await json('privacy', 'noise', '--sample-rate', '0.04', '--steps', '2000', '--delta', '1e-5', '--target-epsilon', '8');
  assert.ok(Math.abs((rdp.noiseMultiplier as number) - 1.3562) < 5e-5);
  assert.ok((rdp.epsilon as number) <= 8);
  const gdp = await json('privacy', 'noise', '--accountant', 'gdp', '--sample-rate', '0.04', '--epochs', '90', '--delta', '1e-5', '--target-epsilon', '8');
  assert.equal(gdp.noiseMultiplier, 1.3232421875);
  assert.equal(gdp.approximation, 'CLT');
  assert.equal(gdp.steps, 2250);
  const [line] = await privmed('privacy', 'noise', '--sample-rate', '0.04', '--steps', '2000', '--delta', '1e-5', '--target-epsilon', '8');
  assert.match(line!, /^noise multiplier 1\.356\d+ gives epsilon 7\.99\d* <= 8 at delta 0\.00001 over 2000 steps/);
});

test('privacy report reads a ledger', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'privmed-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'ledger.sqlite');
  const ledger = PrivacyLedger.open(file);
  ledger.append({ site: 'hospital-a', kind: 'dp-sgd', mechanism: { type: 'subsampled-gaussian', noiseMultiplier: 1.5, sampleRate: 0.04, steps: 2250, sampling: 'poisson' } });
  ledger.append({ site: 'hospital-b', kind: 'statistics', mechanism: { type: 'laplace', sensitivity: 1, noiseScale: 2 } });
  ledger.close();
  const report = await json('privacy', 'report', '--ledger', file, '--delta', '1e-5');
  const sites = report.sites as { site: string; epsilon: number }[];
  assert.deepEqual(sites.map((s) => s.site), ['hospital-a', 'hospital-b']);
  assert.ok(Math.abs(sites[0]!.epsilon - 7.32911117143) < 5e-8);
  assert.equal(sites[1]!.epsilon, 0.5);
  assert.equal(report.maxSite, 'hospital-a');
  const lines = await privmed('privacy', 'report', '--ledger', file);
  assert.match(lines[0]!, /epsilon per site at delta 0\.00001 \(rdp accountant, guaranteed upper bounds\)/);
  assert.match(lines[2]!, /hospital-b: epsilon 0\.5 \(0 Gaussian \+ 0\.5 pure\) over 1 release$/);
  assert.match(lines.at(-1)!, /max over sites: epsilon 7\.32911 \(hospital-a\)/);
});

test('bad flags are one-line PrivmedErrors naming the flag, what was expected and what came', async () => {
  const cases: [string[], RegExp][] = [
    [['privacy', 'epsilon', '--sample-rate', 'abc', '--noise-multiplier', '1', '--steps', '10', '--delta', '1e-5'], /^--sample-rate: expected a number in \(0, 1\], got 'abc'$/],
    [['privacy', 'epsilon', '--sample-rate', '1.5', '--noise-multiplier', '1', '--steps', '10', '--delta', '1e-5'], /^--sample-rate: expected a number in \(0, 1\], got '1\.5'$/],
    [['privacy', 'epsilon', '--sample-rate', '0.1', '--steps', '10', '--delta', '1e-5'], /^--noise-multiplier: expected a number > 0, got nothing$/],
    [['privacy', 'epsilon', ...run.slice(0, 4), '--steps', '2.5', '--delta', '1e-5'], /^--steps: expected a whole number >= 1, got '2\.5'$/],
    [['privacy', 'epsilon', ...run.slice(0, 6), '--delta', '0'], /^--delta: expected a number in \(0, 1\), e\.g\. 1e-5, got '0'$/],
    [['privacy', 'epsilon', ...run, '--accountant', 'moments'], /^--accountant: expected one of rdp, gdp, prv, got 'moments'$/],
    [['privacy', 'epsilon', ...run, '--sampling', 'shuffle'], /^--sampling: expected poisson or uniform, got 'shuffle'$/],
    [['privacy', 'epsilon', ...run, '--accountant', 'prv', '--sampling', 'uniform'], /PRV accountant supports Poisson sampling only/],
    [['privacy', 'noise', '--sample-rate', '0.1', '--steps', '10', '--epochs', '2', '--delta', '1e-5', '--target-epsilon', '1'], /^--steps and --epochs: expected one of them, got both$/],
    [['privacy', 'noise', '--sample-rate', '0.1', '--steps', '10', '--delta', '1e-5'], /^--target-epsilon: expected a number > 0, got nothing$/],
    [['privacy', 'report'], /^--ledger: expected the path of a privacy ledger file, got nothing$/],
    [['privacy', 'report', '--ledger', '/nonexistent/ledger.sqlite'], /^--ledger: expected an existing ledger file, got '\/nonexistent\/ledger\.sqlite' \(file not found\)$/],
  ];
  for (const [args, message] of cases) {
    await assert.rejects(privmed(...args), (e: unknown) => {
      assert.ok(e instanceof PrivmedError, `${args.join(' ')}: ${String(e)}`);
      assert.match(e.message, message);
      assert.ok(!e.message.includes('\n'));
      return true;
    });
  }
});
