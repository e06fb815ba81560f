import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend.js';
import { PrivacyLedger } from '../../src/accounting/index.js';
import { loadModel } from '../../src/models/io.js';
import { evaluate } from '../../src/training/evaluate.js';
import { TransformedDataset } from '../../src/data/dataset.js';
import { normaliseTransform } from '../../src/data/preprocess/normalize.js';
import { dpSgdStep, poolLeavesACoreIdle } from '../../src/dp/sgd/dp-sgd-step.js';
import { perSampleGradients } from '../../src/dp/per-sample/per-sample.js';
import { weightedCrossEntropyPerSample } from '../../src/training/loss.js';
import { planClipping } from '../../src/dp/sgd/clipping.js';
import { halvesDataset } from '../fixtures/synthetic.js';
import { smallCnn } from './models.js';
import { runDp } from './helpers.js';
import { assertMeanNear } from './stats-helpers.js';

before(async () => {
  await initBackend('wasm');
});

test('a short DP-SGD run learns the halves task and reports its epsilon from the ledger', async () => {
  const run = await runDp({ privacy: { noiseMultiplier: 1 }, epochs: 4 });
  assert.equal(run.error, undefined);
  const outcome = run.dp.finish();
  const { model, meta } = await loadModel(run.result!.bestDir);
  const m = await evaluate(model, new TransformedDataset(halvesDataset(100, 8, 5), normaliseTransform(meta.normalisation), 0));
  assert.ok(m.auc > 0.9, `test AUC ${m.auc}`);
  assert.ok(outcome.epsilon > 0 && Number.isFinite(outcome.epsilon));
  assert.equal(outcome.noiseMultiplier, 1);
  const charges = run.events.filter((e) => e.type === 'privacy-charge');
  assert.deepEqual(charges.map((e) => e.type === 'privacy-charge' && e.steps), [8, 8, 8, 8]);
  assert.ok(run.events.some((e) => e.type === 'privacy-plan' && /noise multiplier 1\b/.test(e.message)));
  model.dispose();
  run.model.dispose();
});

test('the noise has standard deviation sigma * C / expected batch size and differs on every call', async () => {
  const model = smallCnn('group', 8, 3);
  const perSample = perSampleGradients(model, weightedCrossEntropyPerSample(null), 'loop');
  const clip = planClipping({ kind: 'flat', norm: 0.7 }, perSample.variables);
  const { gradientStep } = dpSgdStep({ perSample, clip, noiseMultiplier: 1.5, expectedBatchSize: 20 });
  const empty = { x: new Float32Array(0), y: new Int32Array(0), indices: new Int32Array(0), size: 0 };
  const lossFn = () => tf.scalar(0);
  const a = await gradientStep(empty, model, lossFn);
  const b = await gradientStep(empty, model, lossFn);
  const flat = (g: tf.NamedTensorMap) => tf.tidy(() => tf.concat(Object.values(g).map((t) => tf.reshape(t, [-1]))).dataSync() as Float32Array);
  const na = flat(a.grads);
  const nb = flat(b.grads);
  let s = 0;
  let s2 = 0;
  for (const v of na) (s += v), (s2 += v * v);
  const mean = s / na.length;
  const std = Math.sqrt(s2 / na.length - mean * mean);
  const expected = (1.5 * 0.7) / 20;
  assertMeanNear(mean, 0, expected, na.length, 'noise mean');
  assertMeanNear(std, expected, expected * Math.SQRT1_2, na.length, 'noise std');
  assert.notDeepEqual(na.slice(0, 16), nb.slice(0, 16));
  tf.dispose([a.grads, b.grads]);
  model.dispose();
});

test('two runs with the same training seed draw different noise', async () => {
  const weights = [];
  for (let k = 0; k < 2; k++) {
    const run = await runDp({ privacy: { noiseMultiplier: 1 }, epochs: 1, trainSet: halvesDataset(64, 8, 1) });
    run.dp.finish();
    const { model } = await loadModel(`${run.dir}/checkpoint`);
    weights.push(tf.tidy(() => tf.concat(model.getWeights().map((w) => tf.reshape(w, [-1]))).dataSync()));
    model.dispose();
    run.model.dispose();
  }
  assert.notDeepEqual(weights[0], weights[1]);
});

test('fixed-size uniform sampling: every batch has the batch size, and the ledger is told uniform sampling and replace-one sensitivity', async () => {
  const sizes: number[] = [];
  const run = await runDp({
    privacy: { noiseMultiplier: 1, sampling: 'uniform' },
    epochs: 1,
    trainSet: halvesDataset(64, 8, 1),
    batchSize: 16,
    wrapStep: (step) => (batch, model, loss) => (sizes.push(batch.size), step(batch, model, loss)),
  });
  assert.equal(run.error, undefined);
  const outcome = run.dp.finish();
  assert.deepEqual(sizes, [16, 16, 16, 16]);
  const ledger = PrivacyLedger.open(outcome.ledger, { mustExist: true });
  assert.deepEqual(
    ledger.entries().map((e) => e.mechanism),
    [
      { type: 'gaussian', sensitivity: 2, noiseStd: 20 },
      { type: 'subsampled-gaussian', noiseMultiplier: 1, sampleRate: 0.25, steps: 4, sampling: 'uniform' },
    ],
  );
  ledger.close();
  run.model.dispose();
});

test('noise is drawn ahead by default only when PRIVMED_THREADS leaves a core idle', () => {
  const cores = availableParallelism();
  assert.equal(poolLeavesACoreIdle({}), false, 'default pool uses every core');
  assert.equal(poolLeavesACoreIdle({ PRIVMED_THREADS: String(cores) }), false);
  assert.throws(() => poolLeavesACoreIdle({ PRIVMED_THREADS: 'x' }), /PRIVMED_THREADS must be a whole number/);
  assert.equal(poolLeavesACoreIdle({ PRIVMED_THREADS: String(cores - 1) }), cores > 1);
});
