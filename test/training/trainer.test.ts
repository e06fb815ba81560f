import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend.js';
import { buildModel } from '../../src/models/build.js';
import { loadModel } from '../../src/models/io.js';
import { initWeights } from '../../src/training/init.js';
import { train, type TrainOptions } from '../../src/training/trainer.js';
import { evaluate } from '../../src/training/evaluate.js';
import type { ModelSpec } from '../../src/models/spec.js';
import { halvesDataset } from '../fixtures/synthetic.js';

before(async () => {
  await initBackend('wasm');
});

const spec: ModelSpec = { arch: 'small-cnn', inputShape: [8, 8, 1], numClasses: 2, norm: 'group' };

function options(outputDir: string, epochs: number, extra: Partial<TrainOptions> = {}): TrainOptions {
  const model = buildModel(spec);
  initWeights(model, 3);
  return {
    model,
    train: halvesDataset(64, 8, 1),
    val: halvesDataset(32, 8, 2),
    epochs,
    batchSize: 16,
    optimizer: { name: 'adam', lr: 3e-3, momentum: 0.9, weightDecay: 1e-4 },
    schedule: { name: 'cosine', warmupEpochs: 0, stepEpochs: 10, gamma: 0.1 },
    classWeights: [1, 1.5],
    seed: 11,
    selectionMetric: 'mcc',
    patience: 0,
    outputDir,
    metadata: { spec, classes: ['bottom', 'top'], normalisation: { mean: [0], std: [1] } },
    ...extra,
  };
}

async function weightsOf(dir: string): Promise<Float32Array> {
  const { model } = await loadModel(dir);
  const flat = tf.tidy(() => tf.concat(model.getWeights().map((w) => tf.reshape(w, [-1]))));
  const data = (await flat.data()) as Float32Array;
  flat.dispose();
  model.dispose();
  return data;
}

test('learns a simple task and keeps the best model', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'privmed-train-'));
  const o = options(dir, 4);
  const r = await train(o);
  assert.ok(existsSync(join(dir, 'best', 'model.json')));
  const { model } = await loadModel(r.bestDir);
  const m = await evaluate(model, halvesDataset(40, 8, 5));
  assert.ok(m.auc > 0.95, `AUC ${m.auc}`);
  assert.equal(r.history.length, 4);
  o.model.dispose();
  model.dispose();
});

test('the same seed gives the same weights; resume equals an uninterrupted run', async () => {
  const a = mkdtempSync(join(tmpdir(), 'privmed-a-'));
  const b = mkdtempSync(join(tmpdir(), 'privmed-b-'));
  const c = mkdtempSync(join(tmpdir(), 'privmed-c-'));
  const oa = options(a, 2);
  await train(oa);
  const ob = options(b, 2);
  await train(ob);
  const wa = await weightsOf(join(a, 'checkpoint'));
  assert.deepEqual(await weightsOf(join(b, 'checkpoint')), wa);
  // c: one epoch, then a fresh process-like restart that resumes to two.
  const oc1 = options(c, 1);
  await train(oc1);
  const oc2 = options(c, 2, { resume: true });
  const events: string[] = [];
  await train({ ...oc2, onEvent: (e) => events.push(e.type === 'start' ? `start@${e.resumedFromEpoch}` : e.type) });
  assert.ok(events.includes('start@1'));
  const wc = await weightsOf(join(c, 'checkpoint'));
  let maxDiff = 0;
  for (let i = 0; i < wa.length; i++) maxDiff = Math.max(maxDiff, Math.abs(wa[i]! - wc[i]!));
  assert.ok(maxDiff < 1e-5, `resumed weights differ by ${maxDiff}`);
  for (const o of [oa, ob, oc1, oc2]) o.model.dispose();
});

test('early stopping stops after `patience` epochs without improvement', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'privmed-es-'));
  // lr 0 never improves after the first epoch.
  const o = options(dir, 10, { patience: 2, optimizer: { name: 'sgd', lr: 1e-12, momentum: 0, weightDecay: 0 }, selectionMetric: 'loss' });
  const events: string[] = [];
  const r = await train({ ...o, onEvent: (e) => events.push(e.type) });
  assert.ok(events.includes('early-stop'));
  assert.ok(r.history.length < 10 && r.history.length >= 3, `ran ${r.history.length} epochs`);
  o.model.dispose();
});

test("selection 'last' (the DP choice) keeps the last epoch and never stops early", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'privmed-last-'));
  // lr ~0: no epoch improves on the first, so 'best' would keep epoch 1 and stop after 2 more.
  const o = options(dir, 4, { patience: 2, selection: 'last', optimizer: { name: 'sgd', lr: 1e-12, momentum: 0, weightDecay: 0 }, selectionMetric: 'loss' });
  const events: string[] = [];
  const r = await train({ ...o, onEvent: (e) => events.push(e.type) });
  assert.ok(!events.includes('early-stop'));
  assert.equal(r.history.length, 4);
  assert.equal(r.bestEpoch, 4);
  assert.deepEqual(await weightsOf(r.bestDir), await weightsOf(join(dir, 'checkpoint')));
  o.model.dispose();
});
