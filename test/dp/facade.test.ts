/**
 * The DP facade from both entry points: local training (setupDpTraining) and
 * a federation site (NodePrivacy) must charge the same releases and take the
 * same clipped, noised step for the same model, data and config, and a
 * user's own loop (makePrivate directly) must charge before it draws.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { PrivacyLedger } from '../../src/accounting/index.js';
import { loadBatch } from '../../src/data/dataset.js';
import { initBackend } from '../../src/engine/backend.js';
import { makePrivate } from '../../src/dp/make-private.js';
import { PrivacySchema } from '../../src/dp/privacy-config.js';
import { setupDpTraining } from '../../src/dp/private-run.js';
import { NodePrivacy } from '../../src/site/site-privacy.js';
import type { BatchLoss } from '../../src/training/task.js';
import { halvesDataset } from '../fixtures/synthetic.js';
import { tempDir } from './helpers.js';
import { smallCnn } from './models.js';

before(async () => {
  await initBackend('wasm');
});

const unused: BatchLoss = () => {
  throw new Error('the DP step must not call the batch loss');
};

async function grads(step: (typeof NodePrivacy.prototype)['gradientStep'], model: ReturnType<typeof smallCnn>, batch: Awaited<ReturnType<typeof loadBatch>>): Promise<Float32Array> {
  const { grads: g } = await step(batch, model, unused);
  const flat = Float32Array.from(Object.keys(g).sort().flatMap((k) => [...g[k]!.dataSync()]));
  tf.dispose(g);
  return flat;
}

test('local training and a federation site get the same DP-SGD from the facade: same charges, same clipped and noised step', async () => {
  const dir = tempDir('privmed-facade-');
  const data = halvesDataset(64, 8, 7);
  const batch = await loadBatch(data, Array.from({ length: 16 }, (_, i) => i));
  // A tiny noise multiplier makes the two noisy steps comparable; the charges use the same config.
  const privacy = PrivacySchema.parse({ noiseMultiplier: 1e-3, clipNorm: 0.5, delta: 1e-5, perSampleGradients: 'loop' });
  const localModel = smallCnn('group', 8, 3);
  const siteModel = smallCnn('group', 8, 3);
  const local = await setupDpTraining({ privacy: { ...privacy, ledger: join(dir, 'local.sqlite') }, model: localModel, train: data, batchSize: 16, epochs: 1, outputDir: join(dir, 'local'), defaultSite: 'h', classWeights: 'none' });
  const site = new NodePrivacy({ privacy, ledger: join(dir, 'site.sqlite'), site: 'h' }, siteModel, data, 16, null);

  assert.equal(local.noiseMultiplier, site.noiseMultiplier);
  const a = await grads(local.gradientStep, localModel, batch);
  const b = await grads(site.gradientStep, siteModel, batch);
  assert.equal(a.length, b.length);
  let maxDiff = 0;
  let norm = 0;
  for (let i = 0; i < a.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
    norm += a[i]! ** 2;
  }
  // Noise std per coordinate: 1e-3 * 0.5 / 16 = 3e-5; both steps clip the same per-sample gradients to 0.5.
  assert.ok(maxDiff < 5e-4, `the steps differ by up to ${maxDiff}`);
  assert.ok(Math.sqrt(norm) > 1e-3, 'the step is not empty');
  assert.ok(Math.sqrt(norm) <= 0.5 * 16 / 16 + 1e-2, `the clipped mean gradient ${Math.sqrt(norm)} is within the clip norm`);

  // The same epoch of steps is one and the same ledger record, and the same epsilon, from both.
  assert.equal(await local.batchSource.beginEpoch(0), true);
  site.charge({ round: 1, localEpochs: 1 }, site.stepsFor({ round: 1, localEpochs: 1 }));
  const localLedger = PrivacyLedger.open(join(dir, 'local.sqlite'));
  const siteLedger = PrivacyLedger.open(join(dir, 'site.sqlite'));
  const sgd = (l: PrivacyLedger) => l.entries('h').filter((e) => e.kind === 'dp-sgd').map((e) => e.mechanism);
  assert.deepEqual(sgd(localLedger), sgd(siteLedger));
  assert.equal(sgd(siteLedger).length, 1);
  localLedger.close();
  siteLedger.close();
  local.finish();
});

test('makePrivate in a loop of one\'s own: each pass is charged before its first batch, and the budget refuses the pass that would exceed it', async () => {
  const dir = tempDir('privmed-facade-own-');
  const model = smallCnn('group', 8, 3);
  const data = halvesDataset(64, 8, 7);
  const dp = makePrivate({ model, data, batchSize: 16, epochs: 2, privacy: { targetEpsilon: 3, ledger: join(dir, 'ledger.sqlite'), perSampleGradients: 'loop' } });
  assert.ok(dp.calibrated && dp.noiseMultiplier > 0.5, `calibrated noise ${dp.noiseMultiplier}`);
  const optimizer = tf.train.sgd(0.1);
  let steps = 0;
  for await (const batch of dp.batches()) {
    optimizer.applyGradients((await dp.step(batch)).grads);
    steps++;
  }
  assert.equal(steps, dp.sampler.stepsPerEpoch);
  const afterOne = dp.epsilon();
  assert.ok(afterOne > 0 && afterOne < 3, `epsilon after one epoch ${afterOne}`);
  for await (const batch of dp.batches()) tf.dispose((await dp.step(batch)).grads);
  assert.ok(dp.epsilon() <= 3, `two epochs stay within the budget they were calibrated for: ${dp.epsilon()}`);
  // A third pass would pass the target: refused before any batch is drawn, nothing charged.
  const before = dp.epsilon();
  await assert.rejects(async () => {
    for await (const batch of dp.batches()) assert.fail(`drew a batch of ${batch.size}`);
  }, /privacy budget of 'default' \(epsilon 3 at delta 0.00001\) would be exceeded/);
  assert.equal(dp.epsilon(), before);
  optimizer.dispose();
});

test('makePrivate refuses bad privacy settings with the key path, before anything is charged', () => {
  const model = smallCnn('group', 8, 3);
  const data = halvesDataset(64, 8, 7);
  assert.throws(() => makePrivate({ model, data, batchSize: 16, privacy: { targetEpsilon: 1, delta: 0.5 } }), /privacy\.delta 0.5 is not below 1\/n/);
  assert.throws(() => makePrivate({ model, data, batchSize: 16, privacy: { clipNorm: 1 } }), /targetEpsilon or noiseMultiplier/);
  assert.throws(() => makePrivate({ model, data, batchSize: 16, privacy: { targetEpsilon: 1 } }), /give noiseMultiplier, or the epochs or steps to calibrate/);
  assert.throws(() => makePrivate({ model: smallCnn('batch', 8, 3), data, batchSize: 16, privacy: { noiseMultiplier: 1 } }), /BatchNorm/i);
});
