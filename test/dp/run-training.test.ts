import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../src/engine/backend.js';
import { parseWith } from '../../src/common/config-file.js';
import { TrainConfigSchema } from '../../src/site/train-config.js';
import { runTraining } from '../../src/site/run-local.js';
import { PrivacyLedger } from '../../src/accounting/index.js';
import type { PrivacyEvent } from '../../src/dp/events.js';
import { Rng } from '../../src/common/rng.js';
import { makeNpy, makeZip } from '../fixtures/npz-writer.js';
import { tempDir } from './helpers.js';

const dir = tempDir('privmed-dp-run-');
const npz = join(dir, 'halves.npz');

/** The halves task as a MedMNIST-style npz (uint8 images). */
function writeHalvesNpz(): void {
  const size = 8;
  const rng = new Rng(9);
  const members: Record<string, Uint8Array> = {};
  for (const [split, n] of [['train', 256], ['val', 64], ['test', 64]] as const) {
    const images = new Uint8Array(n * size * size);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = i % 2;
      for (let p = 0; p < size * size; p++) {
        const top = p < (size * size) / 2;
        images[i * size * size + p] = Math.max(0, Math.min(255, Math.round(255 * ((top === (i % 2 === 1) ? 0.8 : 0.2) + 0.1 * rng.normal()))));
      }
    }
    members[`${split}_images.npy`] = makeNpy('|u1', [n, size, size], images);
    members[`${split}_labels.npy`] = makeNpy('|u1', [n, 1], labels);
  }
  writeFileSync(npz, makeZip(members));
}

before(async () => {
  await initBackend('wasm');
  writeHalvesNpz();
});

function config(output: string, privacy: Record<string, unknown>, norm = 'group') {
  return parseWith(TrainConfigSchema, {
    data: { dataset: npz },
    model: { arch: 'small-cnn', norm },
    training: { epochs: 2, batchSize: 32, augment: false, selectionMetric: 'auc', patience: 0, optimizer: { lr: 0.01 }, schedule: { name: 'constant' } },
    output,
    privacy,
  });
}

test('privmed train with a privacy section: DP statistics, calibrated noise, DP-SGD, and the final epsilon from the ledger', async () => {
  const output = join(dir, 'run');
  const events: PrivacyEvent[] = [];
  const out = await runTraining(config(output, { targetEpsilon: 4, delta: 1e-5 }), { onPrivacy: (e) => events.push(e) });
  assert.ok(out.privacy, 'a privacy outcome');
  assert.ok(out.privacy.epsilon <= 4 && out.privacy.epsilon > 3.9, `epsilon ${out.privacy.epsilon}`);
  assert.equal(out.privacy.ledger, join(output, 'privacy-ledger.sqlite'));
  assert.ok(out.test.auc > 0.9, `test AUC ${out.test.auc}`);
  const plan = events.find((e) => e.type === 'privacy-plan');
  assert.ok(plan && plan.type === 'privacy-plan' && plan.calibrated && plan.noiseMultiplier === out.privacy.noiseMultiplier);
  assert.match(plan.message, /calibrated: epsilon 4 at delta 0.00001 over 2 epochs, rdp accountant/);
  const ledger = PrivacyLedger.open(out.privacy.ledger, { mustExist: true });
  assert.deepEqual(ledger.entries().map((e) => e.kind), ['statistics', 'dp-sgd', 'dp-sgd']);
  assert.ok(Math.abs(ledger.siteCost(npz, 1e-5).epsilon - out.privacy.epsilon) < 1e-12);
  ledger.close();
});

test('a BatchNorm model is refused before anything is charged', async () => {
  const output = join(dir, 'bn');
  await assert.rejects(runTraining(config(output, { noiseMultiplier: 1 }, 'batch')), /model uses BatchNorm \(layer 'block1_norm'.*use norm: group, or convertBatchNorm\(model, 'group'\)/);
  assert.equal(existsSync(join(output, 'privacy-ledger.sqlite')), false);
});

test('the CLI prints the BatchNorm refusal as one line with the fix', () => {
  const cfg = join(dir, 'bn.yaml');
  writeFileSync(cfg, `data:\n  dataset: ${npz}\nmodel:\n  arch: small-cnn\n  norm: batch\noutput: ${join(dir, 'bn-cli')}\nprivacy:\n  noiseMultiplier: 1\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts'), 'train', '--config', cfg], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /model uses BatchNorm \(layer 'block1_norm' and 2 more\), which mixes samples and breaks per-sample privacy; use norm: group, or convertBatchNorm\(model, 'group'\)/);
  assert.doesNotMatch(r.stderr, /^\s+at /m);
});

test('privmed train with a fixed noise over its budget says so before training, with the epochs it affords; the moving average and view multiplicity run', async () => {
  const output = join(dir, 'over-budget');
  const events: PrivacyEvent[] = [];
  // Noise 1.2 at q = 0.125: one epoch (8 steps) costs about epsilon 2.7, two about 3.3.
  const cfg = config(output, { noiseMultiplier: 1.2, targetEpsilon: 3, delta: 1e-5, augmentationMultiplicity: 2 });
  const out = await runTraining({ ...cfg, training: { ...cfg.training, augment: true, ema: 0.9 } }, { onPrivacy: (e) => events.push(e) });
  const plan = events.find((e) => e.type === 'privacy-plan')!;
  assert.match(plan.message, /2 augmented views per image/);
  const m = /WARNING: privacy: 2 epochs at noise multiplier 1\.2 would reach epsilon [\d.]+, over the budget of 3: it covers (\d) full epoch\(s\) and training stops during epoch \d\. To train whole epochs only, set training\.epochs to \1/.exec(plan.message);
  assert.ok(m, plan.message);
  assert.ok(out.privacy!.epsilon <= 3, `the watchdog kept the budget: ${out.privacy!.epsilon}`);
  const charges = events.filter((e) => e.type === 'privacy-charge');
  assert.equal(charges.filter((e) => e.steps === 8).length, Number(m[1]), 'the full epochs it trained are the ones the warning said');
  assert.ok(charges.length <= Number(m[1]) + 1, 'then at most a part of one more');
});
