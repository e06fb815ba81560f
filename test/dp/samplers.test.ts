import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSampler, PoissonSampler, UniformSampler } from '../../src/dp/sgd/samplers.js';
import { PrivmedError } from '../../src/common/errors.js';
import { assertChiSquare, assertMeanNear } from './stats-helpers.js';

test('Poisson batches have mean size q*N and binomial spread; every record is equally likely', () => {
  const n = 1000;
  const s = new PoissonSampler(n, 50);
  assert.equal(s.sampleRate, 0.05);
  assert.equal(s.expectedBatchSize, 50);
  assert.equal(s.stepsPerEpoch, 20);
  const draws = 400;
  const sizes: number[] = [];
  const hits = new Map<number, number>();
  for (let k = 0; k < draws; k++) {
    const batch = s.drawBatch();
    sizes.push(batch.length);
    for (let i = 0; i < batch.length; i++) {
      if (i > 0) assert.ok(batch[i]! > batch[i - 1]!, 'indices ascending and distinct');
      hits.set(batch[i]! % 10, (hits.get(batch[i]! % 10) ?? 0) + 1);
    }
  }
  const mean = sizes.reduce((a, b) => a + b, 0) / draws;
  const variance = sizes.reduce((a, b) => a + (b - mean) ** 2, 0) / draws;
  const sd = Math.sqrt(n * 0.05 * 0.95);
  assertMeanNear(mean, 50, sd, draws, 'Poisson batch size');
  assert.ok(variance > 0.6 * sd * sd && variance < 1.5 * sd * sd, `batch size variance ${variance}, binomial ${sd * sd}`);
  const total = sizes.reduce((a, b) => a + b, 0);
  assertChiSquare(hits, () => 0.1, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], total, 'records by index mod 10');
});

test('uniform batches have exactly B distinct records, each record with probability B/N', () => {
  const s = new UniformSampler(60, 7);
  assert.equal(s.stepsPerEpoch, 8);
  const hits = new Map<number, number>();
  const draws = 3000;
  for (let k = 0; k < draws; k++) {
    const batch = s.drawBatch();
    assert.equal(batch.length, 7);
    assert.equal(new Set(batch).size, 7);
    for (const i of batch) {
      assert.ok(i >= 0 && i < 60);
      hits.set(i, (hits.get(i) ?? 0) + 1);
    }
  }
  assertChiSquare(hits, () => 1 / 60, Array.from({ length: 60 }, (_, i) => i), draws * 7, 'uniform record frequencies');
});

test('the sampler, not the caller, says which sampling the accountant is told about', () => {
  for (const kind of ['poisson', 'uniform'] as const) {
    const s = createSampler(kind, 200, 10);
    assert.deepEqual(s.mechanism(1.3, 17), { type: 'subsampled-gaussian', noiseMultiplier: 1.3, sampleRate: 0.05, steps: 17, sampling: kind });
  }
});

test('batches are not reproducible: two samplers over the same data differ', () => {
  const a = new PoissonSampler(500, 50);
  const b = new PoissonSampler(500, 50);
  assert.notDeepEqual([...a.drawBatch()], [...b.drawBatch()]);
});

test('batch sizes outside 1..N are refused', () => {
  assert.throws(() => createSampler('poisson', 10, 11), (e: unknown) => e instanceof PrivmedError && /from 1 to the dataset size 10/.test(e.message));
  assert.throws(() => createSampler('uniform', 10, 0), PrivmedError);
});
