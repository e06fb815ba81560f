/** Augmentations: identities, known geometric results, statistics of the random draws, MixUp. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/common/rng.js';
import { applyAffine, randomAffine } from '../../src/data/preprocess/augment/affine.js';
import { flipHorizontal, flipVertical } from '../../src/data/preprocess/augment/flip.js';
import { gaussianNoise, randomBrightness, randomContrast, randomGamma } from '../../src/data/preprocess/augment/intensity.js';
import { elasticDeform } from '../../src/data/preprocess/augment/elastic.js';
import { mixup, sampleBeta } from '../../src/data/preprocess/augment/mixup.js';

const shape = { height: 5, width: 5, channels: 2 };
const img = Float32Array.from({ length: 50 }, (_, i) => i);
const at = (a: Float32Array, y: number, x: number, k = 0) => a[(y * 5 + x) * 2 + k]!;

test('affine: identity parameters copy, 90 degrees rotates, translation shifts', () => {
  assert.deepEqual(applyAffine(img, shape, { angleDeg: 0, tx: 0, ty: 0, scale: 1, shearDeg: 0 }), img);
  const rot = applyAffine(img, shape, { angleDeg: 90, tx: 0, ty: 0, scale: 1, shearDeg: 0 });
  // forward map (x, y) -> (-y, x) about the centre: output(y, x) = input(4 - x, y) ... checked on corners
  for (let y = 0; y < 5; y++) for (let x = 0; x < 5; x++) assert.ok(Math.abs(at(rot, y, x, 1) - at(img, 4 - x, y, 1)) < 1e-4, `(${y},${x})`);
  const shift = applyAffine(img, shape, { angleDeg: 0, tx: 1, ty: 0, scale: 1, shearDeg: 0 }, -1);
  assert.equal(at(shift, 2, 3), at(img, 2, 2));
  assert.equal(at(shift, 2, 0), -1); // filled
  assert.equal(randomAffine(img, shape, { rotateDeg: 30, p: 0 }, new Rng(1)), img);
  assert.deepEqual(randomAffine(img, shape, { rotateDeg: 30 }, new Rng(5)), randomAffine(img, shape, { rotateDeg: 30 }, new Rng(5)));
});

test('flips are involutions and move the right pixels', () => {
  const h = flipHorizontal(img, shape);
  assert.equal(at(h, 1, 0, 1), at(img, 1, 4, 1));
  assert.deepEqual(flipHorizontal(h, shape), img);
  const v = flipVertical(img, shape);
  assert.equal(at(v, 0, 3), at(img, 4, 3));
  assert.deepEqual(flipVertical(v, shape), img);
});

test('intensity changes: bounded brightness, contrast about the mean, gamma, noise std', () => {
  const x = Float32Array.from({ length: 1000 }, (_, i) => (i % 100) / 100);
  for (let s = 0; s < 20; s++) {
    const b = randomBrightness(x, 0.1, new Rng(s));
    const d = b[0]! - x[0]!;
    assert.ok(Math.abs(d) <= 0.1 + 1e-6 && b.every((v, i) => Math.abs(v - x[i]! - d) < 1e-6));
  }
  const c = randomContrast(x, 0.3, new Rng(2));
  const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
  assert.ok(Math.abs(mean(c) - mean(x)) < 1e-5);
  assert.deepEqual([...randomGamma(x, [1, 1], new Rng(1))].map((v) => +v.toFixed(6)), [...x].map((v) => +v.toFixed(6)));
  const g = randomGamma(Float32Array.from([0.25]), [2, 2], new Rng(1));
  assert.ok(Math.abs(g[0]! - 0.0625) < 1e-7);
  const z = gaussianNoise(new Float32Array(20000), 0.5, new Rng(9));
  const m = mean(z);
  const sd = Math.sqrt(mean(z.map((v) => (v - m) ** 2)));
  assert.ok(Math.abs(m) < 0.02 && Math.abs(sd - 0.5) < 0.02, `mean ${m} sd ${sd}`);
});

test('elastic deformation: alpha 0 is the identity, smooth fields keep a constant image constant', () => {
  const s = { height: 16, width: 16, channels: 1 };
  const x = Float32Array.from({ length: 256 }, (_, i) => i % 7);
  assert.equal(elasticDeform(x, s, { alpha: 0, sigma: 3 }, new Rng(1)), x);
  const flat = new Float32Array(256).fill(3);
  const d = elasticDeform(flat, s, { alpha: 1, sigma: 4, fill: 3 }, new Rng(1));
  assert.ok(d.every((v) => Math.abs(v - 3) < 1e-5));
  const moved = elasticDeform(x, s, { alpha: 3, sigma: 2 }, new Rng(4));
  assert.notDeepEqual(moved, x);
  assert.deepEqual(moved, elasticDeform(x, s, { alpha: 3, sigma: 2 }, new Rng(4)));
});

test('MixUp: convex combinations of pairs, soft labels sum to one, Beta draws have the right mean', () => {
  const batch = { x: Float32Array.from([0, 0, 1, 1, 2, 2, 3, 3]), y: Int32Array.from([0, 1, 2, 1]), size: 4, indices: Int32Array.from([0, 1, 2, 3]) };
  const m = mixup(batch, 3, 0.4, new Rng(3));
  for (let i = 0; i < 4; i++) {
    const row = m.y.subarray(i * 3, i * 3 + 3);
    assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-6);
    assert.ok(m.x[2 * i]! >= 0 && m.x[2 * i]! <= 3);
  }
  let s = 0;
  const r = new Rng(1);
  for (let i = 0; i < 4000; i++) s += sampleBeta(2, 6, r);
  assert.ok(Math.abs(s / 4000 - 0.25) < 0.01, `mean ${s / 4000}`);
  const none = mixup(batch, 3, 0, new Rng(1));
  assert.deepEqual([...none.x], [...batch.x]);
});
