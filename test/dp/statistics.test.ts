import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrivacyLedger } from '../../src/accounting/index.js';
import { dpDatasetStatistics } from '../../src/dp/statistics/dataset-statistics.js';
import { datasetStats as channelStats } from '../../src/data/preprocess/normalize.js';
import { classCounts } from '../../src/data/dataset.js';
import { PrivmedError } from '../../src/common/errors.js';
import { halvesDataset } from '../fixtures/synthetic.js';

function ledger(budget?: { epsilon: number; delta: number }): PrivacyLedger {
  return PrivacyLedger.open(join(mkdtempSync(join(tmpdir(), 'privmed-stats-')), 'ledger.sqlite'), budget ? { budget } : {});
}

test('DP mean, std and class counts are close to the exact ones and charged to the ledger once', async () => {
  const ds = halvesDataset(3000, 8, 4);
  const l = ledger();
  const dp = await dpDatasetStatistics(ds, { ledger: l, site: 'hospital-a' });
  const exact = await channelStats(ds);
  const counts = classCounts(ds);
  // Noise std on each sum is 10 * sqrt(3) ~ 17, so on the mean about 0.006.
  assert.ok(Math.abs(dp.mean[0]! - exact.mean[0]!) < 0.04, `mean ${dp.mean[0]} vs ${exact.mean[0]}`);
  assert.ok(Math.abs(dp.std[0]! - exact.std[0]!) < 0.04, `std ${dp.std[0]} vs ${exact.std[0]}`);
  counts.forEach((c, k) => assert.ok(Math.abs(dp.classCounts[k]! - c) < 120, `class ${k}: ${dp.classCounts[k]} vs ${c}`));
  const entries = l.entries('hospital-a');
  assert.equal(entries.length, 1);
  assert.equal(entries[0]!.kind, 'statistics');
  assert.deepEqual(entries[0]!.mechanism, { type: 'gaussian', sensitivity: Math.sqrt(3), noiseStd: 10 * Math.sqrt(3) });
  l.close();
});

test('two releases draw different noise; a reused charge is not paid twice', async () => {
  const ds = halvesDataset(200, 8, 4);
  const l = ledger();
  const a = await dpDatasetStatistics(ds, { ledger: l, site: 's', note: 'run 1: statistics', reuseCharge: true });
  const b = await dpDatasetStatistics(ds, { ledger: l, site: 's', note: 'run 1: statistics', reuseCharge: true });
  assert.notDeepEqual([a.mean, a.std], [b.mean, b.std]);
  assert.equal(l.count(), 1);
  await dpDatasetStatistics(ds, { ledger: l, site: 's', note: 'run 2: statistics' });
  assert.equal(l.count(), 2);
  l.close();
});

test('the Laplace mechanism charges epsilon = sensitivity / scale; replace-one neighbours double the class part', async () => {
  const ds = halvesDataset(500, 8, 4);
  const l = ledger();
  await dpDatasetStatistics(ds, { ledger: l, site: 's', mechanism: { type: 'laplace', epsilon: 0.5 }, neighbouring: 'replace' });
  const m = l.entries('s')[0]!.mechanism;
  assert.equal(m.type, 'laplace');
  if (m.type === 'laplace') {
    assert.equal(m.sensitivity, 4);
    assert.ok(Math.abs(m.sensitivity / m.noiseScale - 0.5) < 1e-12);
  }
  assert.ok(Math.abs(l.siteCost('s', 1e-5).epsilon - 0.5) < 1e-9);
  l.close();
});

test('a release that would exceed the budget is refused before the data is read', async () => {
  const ds = halvesDataset(100, 8, 4);
  let reads = 0;
  const counting = { ...ds, info: ds.info, length: ds.length, label: (i: number) => ds.label(i), get: (i: number) => (reads++, ds.get(i)) };
  const l = ledger({ epsilon: 0.05, delta: 1e-5 });
  await assert.rejects(dpDatasetStatistics(counting, { ledger: l, site: 's' }), (e: unknown) => e instanceof PrivmedError && /release refused/.test(e.message));
  assert.equal(reads, 0);
  assert.equal(l.count(), 0);
  l.close();
});

test('one pixel rule for every statistics release: clamped to [0, 1], NaN counts as 0', async () => {
  const { exactSums } = await import('../../src/dp/statistics/exact-sums.js');
  const { exactStatistics } = await import('../../src/dp/statistics/federated-statistics.js');
  const { ArrayDataset } = await import('../../src/data/dataset.js');
  const info = { height: 1, width: 4, channels: 1, classes: ['a', 'b'] };
  const withNaN = new ArrayDataset(info, Float32Array.from([NaN, 0.5, 2, -1]), Int32Array.from([1]));
  const clean = new ArrayDataset(info, Float32Array.from([0, 0.5, 1, 0]), Int32Array.from([1]));
  const a = await exactSums(withNaN);
  const b = await exactSums(clean);
  assert.deepEqual([...a.sum, ...a.sumSquares, ...a.classCounts], [...b.sum, ...b.sumSquares, ...b.classCounts]);
  assert.deepEqual(await exactStatistics(withNaN), { count: 1, sum: [1.5 / 4], sumSquares: [1.25 / 4] });
  const l = ledger();
  const dp = await dpDatasetStatistics(withNaN, { ledger: l, site: 's' });
  assert.ok(dp.mean.every(Number.isFinite) && dp.std.every(Number.isFinite), 'the local release stays finite');
  l.close();
});
