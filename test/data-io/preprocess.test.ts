/** Resize, crop, normalisation, class balance, stratified split and the serialisable PreprocessingSpec. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/common/rng.js';
import { ConfigError } from '../../src/common/errors.js';
import { ArrayDataset, batches } from '../../src/data/dataset.js';
import { resizeHwc } from '../../src/data/preprocess/resize.js';
import { centerCrop } from '../../src/data/preprocess/crop.js';
import { datasetStats, normalizeInPlace } from '../../src/data/preprocess/normalize.js';
import { classWeights, weightedSampleIndices } from '../../src/data/preprocess/class-balance.js';
import { stratifiedSplit } from '../../src/data/preprocess/split.js';
import { parsePreprocessingSpec } from '../../src/data/preprocess/spec.js';
import { buildAugmentation, buildPreprocessing, outputShape, preprocessImage, preprocessedDataset } from '../../src/data/preprocess/build.js';

test('resize: constant images stay constant, shrinking averages, nearest keeps label values', () => {
  const c = resizeHwc(new Float32Array(10 * 14 * 3).fill(0.25), 10, 14, 3, 7, 5);
  assert.ok(c.every((v) => Math.abs(v - 0.25) < 1e-6));
  // a 1-pixel checkerboard shrunk by 4 averages to 0.5 (no aliasing)
  const checker = Float32Array.from({ length: 32 * 32 }, (_, i) => ((i % 32) + Math.floor(i / 32)) % 2);
  const small = resizeHwc(checker, 32, 32, 1, 8, 8);
  assert.ok(small.every((v) => Math.abs(v - 0.5) < 0.02), `range ${Math.min(...small)}..${Math.max(...small)}`);
  // a linear ramp stays a ramp when enlarged (interior values interpolate)
  const ramp = Float32Array.from([0, 1, 2, 3]);
  const big = resizeHwc(ramp, 1, 4, 1, 1, 8);
  assert.deepEqual([...big].map((v) => +v.toFixed(3)), [0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3]);
  const labels = Float32Array.from([0, 1, 2, 0]);
  assert.ok(resizeHwc(labels, 2, 2, 1, 5, 5, 'nearest').every((v) => [0, 1, 2].includes(v)));
});

test('centre crop and normalisation', () => {
  const img = Float32Array.from({ length: 4 * 5 }, (_, i) => i);
  assert.deepEqual([...centerCrop(img, { height: 4, width: 5, channels: 1 }, 2, 3)], [6, 7, 8, 11, 12, 13]);
  const n = normalizeInPlace(Float32Array.from([1, 10, 3, 30]), 2, { mean: [2, 20], std: [1, 10] });
  assert.deepEqual([...n], [-1, -1, 1, 1]);
});

test('dataset statistics per channel in float64', async () => {
  const info = { height: 1, width: 2, channels: 2, classes: ['a'] };
  const ds = new ArrayDataset(info, Float32Array.from([0, 10, 2, 10, 4, 30, 6, 30]), Int32Array.from([0, 0]));
  const s = await datasetStats(ds);
  assert.deepEqual(s.mean, [3, 20]);
  assert.ok(Math.abs(s.std[0]! - Math.sqrt(5)) < 1e-12 && Math.abs(s.std[1]! - 10) < 1e-12);
});

test('balanced class weights and a weighted sampler that evens out classes', () => {
  const labels = Int32Array.from([...new Array(90).fill(0), ...new Array(10).fill(1)]);
  const w = classWeights(labels, 2);
  assert.deepEqual(w.map((x) => +x.toFixed(4)), [0.5556, 5]);
  const draws = weightedSampleIndices(labels, w, 20000, new Rng(3));
  const ones = draws.filter((i) => labels[i] === 1).length / draws.length;
  assert.ok(Math.abs(ones - 0.5) < 0.02, `class 1 share ${ones}`);
  assert.deepEqual(weightedSampleIndices(labels, w, 50, new Rng(3)), weightedSampleIndices(labels, w, 50, new Rng(3)));
  assert.deepEqual(classWeights(Int32Array.from([0, 0, 2]), 3), [0.75, 0, 1.5]);
});

test('stratified split keeps class proportions, is seeded and disjoint', () => {
  const labels = Int32Array.from({ length: 1000 }, (_, i) => (i % 10 === 0 ? 1 : i % 10 < 4 ? 2 : 0));
  const { train, validation } = stratifiedSplit(labels, 0.2, 42);
  assert.equal(train.length + validation.length, 1000);
  assert.equal(new Set([...train, ...validation]).size, 1000);
  for (const c of [0, 1, 2]) {
    const total = labels.filter((l) => l === c).length;
    const inVal = [...validation].filter((i) => labels[i] === c).length;
    assert.equal(inVal, Math.round(total * 0.2), `class ${c}`);
  }
  assert.deepEqual(stratifiedSplit(labels, 0.2, 42).validation, validation);
  assert.notDeepEqual(stratifiedSplit(labels, 0.2, 43).validation, validation);
  // tiny classes: one each side
  const tiny = stratifiedSplit(Int32Array.from([0, 0, 1, 1, 1, 1, 1, 1, 1, 1]), 0.1, 1);
  assert.ok([...tiny.validation].some((i) => i < 2) && [...tiny.train].some((i) => i < 2));
});

const SPEC = {
  version: 1,
  input: { height: 8, width: 8, channels: 1 },
  resize: { height: 12, width: 12 },
  centerCrop: { height: 10, width: 10 },
  normalize: { mean: [0.5], std: [0.25] },
  augment: { affine: { rotateDeg: 15, translate: 0.1, scale: [0.9, 1.1], shearDeg: 5 }, flipHorizontal: 0.5, brightness: 0.1, contrast: 0.2, gamma: [0.8, 1.2], noise: { std: 0.01 }, elastic: { alpha: 2, sigma: 3, p: 0.5 }, mixup: { alpha: 0.4 } },
};

test('the spec survives JSON and validation errors name the key', () => {
  const spec = parsePreprocessingSpec(JSON.parse(JSON.stringify(SPEC)));
  assert.deepEqual(outputShape(spec), { height: 10, width: 10, channels: 1 });
  assert.throws(() => parsePreprocessingSpec({ ...SPEC, resize: { height: -3, width: 4 } }), (e: unknown) => e instanceof ConfigError && /preprocessing\.resize\.height/.test(e.message));
  assert.throws(() => parsePreprocessingSpec({ ...SPEC, normalize: { mean: [0.5, 0.5], std: [1, 1] } }), /preprocessing\.normalize': expected one mean and std per channel \(1\)/);
  assert.throws(() => parsePreprocessingSpec({ ...SPEC, centerCrop: { height: 20, width: 4 } }), /centerCrop\.height': expected at most 12/);
  assert.throws(() => parsePreprocessingSpec({ ...SPEC, augment: { spin: 3 } }), /preprocessing\.augment/);
  assert.throws(() => parsePreprocessingSpec({ ...SPEC, version: 2 }), /preprocessing\.version/);
});

test('inference transform is deterministic; training transform is seeded per (seed, epoch, item)', async () => {
  const spec = parsePreprocessingSpec(SPEC);
  const images = Float32Array.from({ length: 6 * 64 }, (_, i) => ((i * 37) % 64) / 64);
  const ds = new ArrayDataset({ height: 8, width: 8, channels: 1, classes: ['a', 'b'] }, images, Int32Array.from([0, 1, 0, 1, 0, 1]));
  const inf = preprocessedDataset(ds, spec, { train: false, seed: 1 });
  assert.deepEqual(inf.info, { height: 10, width: 10, channels: 1, classes: ['a', 'b'] });
  const a = await inf.get(2);
  assert.deepEqual(a.image, (await inf.get(2)).image);
  assert.deepEqual(a.image, buildPreprocessing(spec)({ image: images.subarray(128, 192), label: 0 }, new Rng(99)).image);
  const train = preprocessedDataset(ds, spec, { train: true, seed: 7 });
  const t1 = await train.get(2);
  assert.deepEqual(t1.image, (await train.get(2)).image);
  assert.notDeepEqual(t1.image, a.image);
  train.epoch = 1;
  assert.notDeepEqual((await train.get(2)).image, t1.image);
  const again = preprocessedDataset(ds, spec, { train: true, seed: 7 });
  assert.deepEqual((await again.get(2)).image, t1.image);
  let n = 0;
  for await (const b of batches(train, { batchSize: 4 })) n += b.size;
  assert.equal(n, 6);
  assert.throws(() => buildAugmentation(spec)({ image: new Float32Array(10), label: 0 }, new Rng(1)), /expects 8x8x1 images, got 10 values/);
  // a decoded image of another size and channel count is brought to the input shape first
  const rgb = { data: new Float32Array(20 * 16 * 3).fill(0.5), rows: 20, cols: 16, frames: 1, channels: 3, meta: { source: 'x', format: 'png' as const } };
  const x = preprocessImage(rgb, spec);
  assert.equal(x.length, 100);
  assert.ok(x.every((v) => Math.abs(v) < 1e-5)); // (0.5 - 0.5) / 0.25
});
