/**
 * Membership-inference metrics on scores with a known answer, and small real
 * runs on PneumoniaMNIST: LiRA and Yeom on models trained by privmed, and the
 * one-run audit of a DP-SGD run (eps_lb must stay below the ledger's epsilon).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/engine/backend.js';
import { attackMetrics, runMembership } from '../../src/attacks/membership.js';
import { runAudit } from '../../src/attacks/audit-run.js';
import { loadMedMnist } from '../../src/data/medmnist.js';
import { SubsetDataset } from '../../src/data/dataset.js';
import { needData } from '../helpers/data.js';

test('attack metrics: a perfect and a useless score, TPR at 0.1% FPR read at the largest FPR below it', () => {
  const member = Array.from({ length: 2000 }, (_, i) => (i < 1000 ? 1 : 0));
  const perfect = attackMetrics(member, member.map((m, i) => m * 10 + i / 1e4));
  assert.equal(perfect.auc, 1);
  assert.equal(perfect.tprAt01, 1);
  assert.equal(perfect.advantage, 1);
  const flat = attackMetrics(member, member.map(() => 0));
  assert.equal(flat.auc, 0.5);
  assert.equal(flat.tprAt01, 0);
  // One non-member above all members: FPR 0.1% exactly is not below 0.1%, so TPR@0.1% is 0.
  const one = attackMetrics(member, member.map((m, i) => (i === 1500 ? 100 : m)));
  assert.equal(one.tprAt01, 0);
  assert.ok(one.roc.length <= 401);
});

test('membership inference and the one-run audit on small real runs', { timeout: 900_000 }, async (t) => {
  const file = needData(t, 'pneumoniamnist/pneumoniamnist.npz');
  if (!file) return;
  await initBackend('wasm');
  const train = (await loadMedMnist(file)).splits.train;
  const dir = mkdtempSync(join(tmpdir(), 'privmed-mia-'));
  const rows = await runMembership({
    pool: new SubsetDataset(train, Array.from({ length: 200 }, (_, i) => i)),
    models: 4,
    epochs: 2,
    batchSize: 32,
    lr: 0.05,
    seed: 2,
    settings: [{ name: 'non-private', privacy: null }, { name: 'eps 8', privacy: { epsilon: 8, delta: 1e-5, clipNorm: 1, ledger: join(dir, 'l.sqlite') } }],
  });
  assert.equal(rows.length, 2);
  for (const r of rows) {
    assert.equal(r.members + r.nonMembers, 800, 'every example of every model: 4 x 200');
    assert.equal(r.members, 400, 'each model trained on half');
    assert.ok(r.lira.auc >= 0 && r.lira.auc <= 1 && r.yeom.auc >= 0 && r.yeom.auc <= 1);
  }
  assert.equal(rows[0]!.epsilon, null);
  assert.ok(rows[1]!.epsilon! > 0 && rows[1]!.epsilon! <= 8, `ledger epsilon ${rows[1]!.epsilon}`);
  assert.ok(Math.abs(rows[1]!.yeomBound! - (Math.expm1(rows[1]!.epsilon!) + 1e-5)) < 1e-9);

  const audit = await runAudit({ pool: new SubsetDataset(train, Array.from({ length: 600 }, (_, i) => i)), canaries: 200, baseSize: 400, epsilon: 8, delta: 1e-5, clipNorm: 1, epochs: 1, batchSize: 32, lr: 0.05, seed: 4, ledger: join(dir, 'audit.sqlite') });
  assert.equal(audit.canaries, 200);
  assert.equal(audit.inScores.length + audit.outScores.length, 200);
  assert.equal(audit.trainSize, 400 + audit.included);
  assert.ok(audit.epsilon > 0 && audit.epsilon <= 8);
  assert.ok(audit.passed && audit.epsLb <= audit.epsilon, `eps_lb ${audit.epsLb} vs epsilon ${audit.epsilon}`);
});
