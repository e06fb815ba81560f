/**
 * The histology training recipe's pieces: label smoothing in the loss (hand
 * computed), and 'histology-strong' augmentation (a colour step on [0, 1]
 * pixels before normalisation, geometry after it), seeded and shape-keeping.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Rng } from '../../src/common/rng.js';
import { weightedCrossEntropy, weightedCrossEntropyPerSample } from '../../src/training/loss.js';
import { defaultAugmentation, pixelAugmentation } from '../../src/training/augment.js';
import { TrainConfigSchema } from '../../src/site/train-config.js';
import { SiteSchema } from '../../src/site/site-config.js';
import { runTraining } from '../../src/site/run-local.js';
import { openSite } from '../../src/site/open-site.js';

const close = (a: number, b: number, tol = 1e-5) => assert.ok(Math.abs(a - b) < tol, `${a} vs ${b}`);

describe('label smoothing', () => {
  it('mixes the one-hot target with the uniform one: -(1-s) log p_y - s/K sum_k log p_k', async () => {
    await tf.setBackend('cpu');
    const logits = [[2, 0, -1], [0, 1, 0]];
    const labels = [0, 2];
    const s = 0.3;
    // By hand: log-softmax of each row, then the smoothed targets' cross-entropy.
    const expected = logits.map((row, i) => {
      const lse = Math.log(row.reduce((a, v) => a + Math.exp(v), 0));
      const logp = row.map((v) => v - lse);
      return -(1 - s) * logp[labels[i]!]! - (s / 3) * logp.reduce((a, v) => a + v, 0);
    });
    const l = tf.tensor2d(logits);
    const y = tf.tensor1d(labels, 'int32');
    close((await weightedCrossEntropy(l, y, null, s).data())[0]!, (expected[0]! + expected[1]!) / 2);
    const per = await weightedCrossEntropyPerSample(null, s)(l, y).data();
    close(per[0]!, expected[0]!);
    close(per[1]!, expected[1]!);
    // s = 0 is the plain cross-entropy (the default): -log p_y.
    const plain = await weightedCrossEntropyPerSample(null)(l, y).data();
    close(plain[0]!, -(2 - Math.log(Math.exp(2) + 1 + Math.exp(-1))));
    // Class weights still weight the smoothed per-sample terms.
    const weighted = (await weightedCrossEntropy(l, y, tf.tensor1d([1, 1, 3]), s).data())[0]!;
    close(weighted, (expected[0]! + 3 * expected[1]!) / 4);
  });

  it('is a config key of privmed train and of a site, in [0, 1)', () => {
    assert.equal(TrainConfigSchema.parse({ training: { labelSmoothing: 0.1 } }).training.labelSmoothing, 0.1);
    assert.equal(TrainConfigSchema.parse({}).training.labelSmoothing, 0);
    assert.equal(SiteSchema.parse({ training: { labelSmoothing: 0.2, augment: 'histology-strong' } }).training.labelSmoothing, 0.2);
    assert.throws(() => TrainConfigSchema.parse({ training: { labelSmoothing: 1 } }));
  });

  it('is refused with a privacy section (DP-SGD has the plain per-sample loss), before any work', async () => {
    const privacy = { noiseMultiplier: 1, clipNorm: 1, delta: 1e-5 };
    const cfg = TrainConfigSchema.parse({ training: { labelSmoothing: 0.1 }, privacy, output: '/nonexistent/never-made' });
    await assert.rejects(runTraining(cfg), /config key 'training.labelSmoothing': expected 0 with a privacy section/);
    await assert.rejects(openSite(SiteSchema.parse({ training: { labelSmoothing: 0.1 }, privacy })), /config key 'site.training.labelSmoothing'/);
  });
});

describe("augment: 'histology-strong'", () => {
  const info = { height: 16, width: 16, channels: 3 };
  // A pink-purple H&E-like tile with structure, in [0, 1].
  const image = Float32Array.from({ length: 16 * 16 * 3 }, (_, i) => {
    const p = Math.floor(i / 3);
    const c = i % 3;
    const dark = (p % 16 < 8) !== (Math.floor(p / 16) < 8);
    return dark ? [0.45, 0.25, 0.6][c]! : [0.9, 0.6, 0.8][c]!;
  });

  it('has a colour step on RGB pixels only, seeded, keeping the shape and staying in [0, 1]', () => {
    assert.equal(pixelAugmentation(info, 'histology'), undefined, 'the plain set has no colour step');
    assert.equal(pixelAugmentation(info, true), undefined);
    assert.equal(pixelAugmentation({ ...info, channels: 1 }, 'histology-strong'), undefined, 'grey images have no stains');
    const pix = pixelAugmentation(info, 'histology-strong')!;
    const a = pix({ image, label: 3 }, new Rng(7));
    const b = pix({ image, label: 3 }, new Rng(7));
    const c = pix({ image, label: 3 }, new Rng(8));
    assert.equal(a.label, 3);
    assert.equal(a.image.length, image.length);
    assert.deepEqual(a.image, b.image, 'the same seed gives the same jitter');
    assert.notDeepEqual(a.image, c.image, 'another seed another one');
    let maxChange = 0;
    for (let i = 0; i < image.length; i++) maxChange = Math.max(maxChange, Math.abs(a.image[i]! - image[i]!));
    assert.ok(maxChange > 1e-3 && maxChange < 0.35, `a small colour change, got at most ${maxChange}`);
  });

  it('adds a random zoom-in crop to the flips and quarter turns', () => {
    const plain = defaultAugmentation(info, 'histology')!;
    const strong = defaultAugmentation(info, 'histology-strong')!;
    // Over many seeds the plain set only permutes pixels (the multiset of values is kept); the crop interpolates.
    const sorted = (x: Float32Array) => [...x].sort((p, q) => p - q);
    let interpolated = 0;
    for (let seed = 0; seed < 20; seed++) {
      assert.deepEqual(sorted(plain({ image, label: 0 }, new Rng(seed)).image), sorted(image));
      const out = strong({ image, label: 0 }, new Rng(seed)).image;
      assert.equal(out.length, image.length);
      if (sorted(out).some((v, i) => Math.abs(v - sorted(image)[i]!) > 1e-6)) interpolated++;
    }
    assert.ok(interpolated > 3 && interpolated < 20, `about half the draws crop (p 0.5), got ${interpolated} of 20`);
  });
});
