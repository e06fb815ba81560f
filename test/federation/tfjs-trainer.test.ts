import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/engine/backend.js';
import { roundLearningRate, TfjsLocalTrainer, type TfjsTrainerOptions } from '../../src/site/site-trainer.js';
import { halvesDataset } from '../fixtures/synthetic.js';
import { datasetStats } from '../../src/data/preprocess/normalize.js';
import { ArrayDataset } from '../../src/data/dataset.js';
import { normalisationOf } from '../../src/federation/wire/statistics.js';
import { normalisationConfig } from '../../src/site/fit-config.js';

before(async () => {
  await initBackend('wasm');
});

function options(extra: Partial<TfjsTrainerOptions> = {}): TfjsTrainerOptions {
  return {
    spec: { arch: 'small-cnn', inputShape: [8, 8, 1], numClasses: 2, norm: 'group' },
    train: halvesDataset(64, 8, 1),
    val: halvesDataset(32, 8, 2),
    normalisation: { mean: [0.5], std: [0.3] },
    batchSize: 8,
    optimizer: { name: 'adam', lr: 3e-3, momentum: 0.9, weightDecay: 0 },
    classWeights: null,
    seed: 4,
    ...extra,
  };
}

const dist = (a: Float32Array[], b: Float32Array[]) => Math.sqrt(a.reduce((s, x, i) => s + x.reduce((t, v, j) => t + (v - b[i]![j]!) ** 2, 0), 0));

test('fit from global weights learns; evaluate reports confusion counts', async () => {
  const t = new TfjsLocalTrainer(options());
  const w0 = (await t.initialWeights()).map((w) => w.data);
  let w = w0;
  for (let round = 1; round <= 3; round++) {
    const out = await t.fit(w, { round, localEpochs: 1 });
    assert.equal(out.numSamples, 64);
    w = out.weights;
  }
  const ev = await t.evaluate(w, { round: 3 });
  assert.equal(ev.numSamples, 32);
  assert.ok(ev.metrics.accuracy! > 0.9, JSON.stringify(ev.metrics));
  assert.equal(ev.metrics.tp! + ev.metrics.fp! + ev.metrics.tn! + ev.metrics.fn!, 32);
});

test('sub-epoch sync trains exactly N batches per round', async () => {
  const t = new TfjsLocalTrainer(options());
  const w0 = (await t.initialWeights()).map((w) => w.data);
  const a = await t.fit(w0, { round: 1, syncEveryNBatches: 3 });
  assert.equal(a.numSamples, 24);
  const b = await t.fit(a.weights, { round: 2, syncEveryNBatches: 6 }); // wraps into the next epoch
  assert.equal(b.numSamples, 48);
});

test('a progress listener hears every batch of a fit, with the total', async () => {
  const t = new TfjsLocalTrainer(options());
  const heard: { batches: number; totalBatches: number | null; samples: number }[] = [];
  t.setProgressListener((p) => heard.push(p));
  const w0 = (await t.initialWeights()).map((w) => w.data);
  await t.fit(w0, { round: 1, syncEveryNBatches: 3 });
  assert.deepEqual(heard, [1, 2, 3].map((b) => ({ batches: b, totalBatches: 3, samples: 8 * b })));
  heard.length = 0;
  await t.fit(w0, { round: 2, localEpochs: 1 });
  assert.equal(heard.at(-1)!.totalBatches, 8);
  assert.equal(heard.at(-1)!.samples, 40, 'the rest of the epoch sub-epoch sync had begun');
});

test('FedProx keeps the local model closer to the global one', async () => {
  const plain = new TfjsLocalTrainer(options());
  const prox = new TfjsLocalTrainer(options());
  const w0 = (await plain.initialWeights()).map((w) => w.data);
  const a = await plain.fit(w0, { round: 1, localEpochs: 2 });
  const b = await prox.fit(w0, { round: 1, localEpochs: 2, proximalMu: 5 });
  assert.ok(dist(b.weights, w0) < dist(a.weights, w0), `prox ${dist(b.weights, w0)} vs plain ${dist(a.weights, w0)}`);
});

test('statistics() reports the training data exactly without DP; a task\'s normalisation replaces the configured one', async () => {
  const o = options();
  const t = new TfjsLocalTrainer(o);
  const s = await t.statistics();
  assert.equal(s.count, 64);
  // The exchange clamps pixels to [0, 1] (a few of halvesDataset's are outside): compare with a clamped copy.
  const images = await Promise.all(Array.from({ length: o.train.length }, async (_, i) => (await o.train.get(i)).image));
  const clamped = Float32Array.from(images.flatMap((im) => Array.from(im, (v) => Math.min(1, Math.max(0, v)))));
  const expected = await datasetStats(new ArrayDataset(o.train.info, clamped, new Int32Array(o.train.length)));
  const got = normalisationOf(s);
  assert.ok(Math.abs(got.mean[0]! - expected.mean[0]!) < 1e-12 && Math.abs(got.std[0]! - expected.std[0]!) < 1e-12, `${got.mean} ${got.std}`);

  const w = (await t.initialWeights()).map((x) => x.data);
  const configured = await t.evaluate(w, { round: 1 });
  const shifted = await t.evaluate(w, { round: 1, ...normalisationConfig({ mean: [0.1], std: [0.05] }) });
  assert.notEqual(shifted.metrics.loss, configured.metrics.loss, 'the views were rebuilt with the new numbers');
  const same = await t.evaluate(w, { round: 2, ...normalisationConfig({ mean: [0.5], std: [0.3] }) });
  assert.equal(same.metrics.loss, configured.metrics.loss, 'the configured numbers sent back give the configured result');
});

test("fit.lrSchedule 'cosine' decays the learning rate over the planned rounds; constant by default", () => {
  const at = (round: number, extra: Record<string, number | string> = {}) => roundLearningRate(0.01, { round, plannedRounds: 4, lrSchedule: 'cosine', ...extra });
  assert.equal(at(1), 0.01);
  assert.ok(Math.abs(at(3) - 0.005) < 1e-12);
  assert.ok(Math.abs(at(4) - 0.01 * (1 + Math.cos((3 * Math.PI) / 4)) / 2) < 1e-12);
  assert.equal(roundLearningRate(0.01, { round: 3, plannedRounds: 4 }), 0.01);
  assert.throws(() => roundLearningRate(0.01, { round: 2, lrSchedule: 'cosine' }), /needs the planned rounds \(plannedRounds\)/);
  assert.throws(() => at(2, { lrSchedule: 'step' }), /fit.lrSchedule 'step': expected 'constant' or 'cosine'/);
});
