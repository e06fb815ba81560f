import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { composeReleases, LedgerIntegrityError, PrivacyLedger } from '../../src/accounting/index.js';
import { initBackend } from '../../src/engine/backend.js';
import { PrivacyWatchdog } from '../../src/dp/sgd/watchdog.js';
import { PoissonSampler } from '../../src/dp/sgd/samplers.js';
import { runNote } from '../../src/dp/ledger-charges.js';
import type { PrivacyEvent } from '../../src/dp/events.js';
import { runDp, tempDir } from './helpers.js';

before(async () => {
  await initBackend('wasm');
});

const SIGMA = 1.2;

function ledgerAt(dir: string): PrivacyLedger {
  return PrivacyLedger.open(join(dir, 'privacy-ledger.sqlite'));
}

test('with a tiny budget, training stops before the step that would exceed it, with a checkpoint and a message', async () => {
  const dir = tempDir('privmed-budget-');
  // Price the budget first: statistics + one epoch of 8 steps + 3 steps, plus a hair.
  const sampler = new PoissonSampler(256, 32);
  const stats = { type: 'gaussian', sensitivity: Math.sqrt(3), noiseStd: 10 * Math.sqrt(3) } as const;
  const cost = (steps: number) => composeReleases([stats, sampler.mechanism(SIGMA, steps)], 1e-5, 'rdp').epsilon;
  const target = cost(11) + 1e-6;
  assert.ok(cost(12) > target);
  const run = await runDp({ dir, privacy: { noiseMultiplier: SIGMA, targetEpsilon: target }, epochs: 3 });
  assert.equal(run.error, undefined);
  const outcome = run.dp.finish();
  const stop = run.events.find((e): e is Extract<PrivacyEvent, { type: 'budget-stop' }> => e.type === 'budget-stop');
  assert.ok(stop, 'a budget-stop event');
  assert.equal(stop.epoch, 2);
  assert.equal(stop.beforeStep, 4);
  assert.match(stop.message, /stopped before step 4 of epoch 2, which would exceed epsilon .* checkpoint saved in .*checkpoint/);
  assert.equal(run.trainEvents.filter((e) => e.type === 'batch' && e.epoch === 1).length, 3, 'three steps ran in epoch 2');
  assert.equal(run.trainEvents.filter((e) => e.type === 'epoch').length, 2, 'no third epoch');
  const state = JSON.parse(readFileSync(join(dir, 'checkpoint', 'state.json'), 'utf8')) as { epoch: number };
  assert.equal(state.epoch, 2, 'the partial epoch was checkpointed');
  assert.ok(outcome.stoppedByBudget);
  assert.ok(outcome.epsilon <= target, `spent ${outcome.epsilon} > target ${target}`);
  const l = ledgerAt(dir);
  assert.deepEqual(
    l.entries('halves').map((e) => [e.kind, e.mechanism.type === 'subsampled-gaussian' ? e.mechanism.steps : 0]),
    [['statistics', 0], ['dp-sgd', 8], ['dp-sgd', 3]],
  );
  l.close();
  run.model.dispose();
});

test('a run killed mid-epoch and resumed is not charged twice for the epoch it redoes', async () => {
  const dir = tempDir('privmed-resume-');
  let steps = 0;
  const killed = await runDp({
    dir,
    privacy: { noiseMultiplier: SIGMA },
    epochs: 3,
    // Die at the 4th step of the second epoch: after its charge, before its checkpoint.
    wrapStep: (step) => async (batch, model, loss) => {
      if (++steps === 12) throw new Error('killed');
      return step(batch, model, loss);
    },
  });
  assert.match(String(killed.error), /killed/);
  killed.dp.finish();
  killed.model.dispose();
  const afterKill = ledgerAt(dir);
  const notes = afterKill.entries('halves').map((e) => e.note);
  afterKill.close();
  assert.equal(notes.length, 3, 'statistics, epoch 1, epoch 2');

  const resumed = await runDp({ dir, privacy: { noiseMultiplier: SIGMA }, epochs: 3, resume: true });
  assert.equal(resumed.error, undefined);
  resumed.dp.finish();
  resumed.model.dispose();
  const l = ledgerAt(dir);
  const entries = l.entries('halves');
  l.close();
  assert.deepEqual(entries.slice(0, 3).map((e) => e.note), notes, 'the old entries stand');
  assert.equal(entries.length, 4, 'only epoch 3 was added');
  assert.match(entries[3]!.note, /: epoch 3$/);
  const charges = resumed.events.filter((e) => e.type === 'privacy-charge').map((e) => e.type === 'privacy-charge' && [e.epoch, e.reused]);
  assert.deepEqual(charges, [[2, true], [3, false]]);
  assert.ok(resumed.events.some((e) => e.type === 'privacy-statistics' && e.reused), 'statistics reused, not re-released');
});

test('if the killed attempt had already saved its epoch as the best model, the redo is charged again', async () => {
  const dir = tempDir('privmed-released-');
  const ledger = ledgerAt(dir);
  const sampler = new PoissonSampler(100, 10);
  ledger.append({ site: 's', kind: 'dp-sgd', mechanism: sampler.mechanism(SIGMA, sampler.stepsPerEpoch), note: runNote('r1', 'epoch 1') });
  const watchdog = () => new PrivacyWatchdog({ ledger, site: 's', runId: 'r1', sampler, noiseMultiplier: SIGMA, delta: 1e-5, accountant: 'rdp', outputDir: dir });
  assert.equal(await watchdog().beginEpoch(0), true);
  assert.equal(ledger.count(), 1, 'unreleased epoch: charge reused');
  mkdirSync(join(dir, 'best'), { recursive: true });
  writeFileSync(join(dir, 'best', 'privmed.json'), JSON.stringify({ metrics: { epoch: 1 } }));
  assert.equal(await watchdog().beginEpoch(0), true);
  assert.equal(ledger.count(), 2, 'released epoch: charged again');
  // A different noise multiplier is a different release: never reused.
  const other = new PrivacyWatchdog({ ledger, site: 's', runId: 'r1', sampler, noiseMultiplier: 2, delta: 1e-5, accountant: 'rdp', outputDir: join(dir, 'elsewhere') });
  await other.beginEpoch(0);
  assert.equal(ledger.count(), 3);
  ledger.close();
  assert.ok(existsSync(join(dir, 'privacy-ledger.sqlite')));
});

test('the budget cannot be reset: a deleted ledger stops the resume with the file named, a missing run plan too', async () => {
  const dir = tempDir('privmed-reset-');
  const sampler = new PoissonSampler(256, 32);
  const stats = { type: 'gaussian', sensitivity: Math.sqrt(3), noiseStd: 10 * Math.sqrt(3) } as const;
  const target = composeReleases([stats, sampler.mechanism(SIGMA, 11)], 1e-5, 'rdp').epsilon + 1e-6;
  const first = await runDp({ dir, privacy: { noiseMultiplier: SIGMA, targetEpsilon: target }, epochs: 3 });
  first.dp.finish();
  first.model.dispose();
  // The attack of the issue: delete the ledger, resume.
  rmSync(join(dir, 'privacy-ledger.sqlite'));
  const resumed = await runDp({ dir, privacy: { noiseMultiplier: SIGMA, targetEpsilon: target }, epochs: 3, resume: true }).catch((e: unknown) => e);
  assert.ok(resumed instanceof LedgerIntegrityError, `refused: ${String(resumed)}`);
  assert.match(resumed.message, /privacy-ledger\.sqlite: the privacy ledger has 0 entries, but .*privacy-run\.json recorded 3: it was deleted, truncated or replaced/);
  // Deleting the run plan as well does not help: the checkpoint shows a run was under way.
  rmSync(join(dir, 'privacy-run.json'));
  const again = await runDp({ dir, privacy: { noiseMultiplier: SIGMA, targetEpsilon: target }, epochs: 3, resume: true }).catch((e: unknown) => e);
  assert.ok(again instanceof LedgerIntegrityError, `refused: ${String(again)}`);
  assert.match(again.message, /privacy-run\.json: missing, but .*checkpoint exists/);
});
