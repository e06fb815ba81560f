/**
 * The federated stain reference: three sites with differently stained tiles
 * (synthetic two-stain tiles made here), their sums add up to the union's,
 * the count-weighted secure-aggregation vectors give the same sums, the
 * reference is the mean tile statistics, empty glass is skipped, and with DP
 * each site charges one Gaussian release to its ledger before it releases.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/common/rng.js';
import { ArrayDataset } from '../../src/data/dataset.js';
import { reinhardNormalise, reinhardStats } from '../../src/data/stain/reinhard.js';
import { fromOpticalDensity } from '../../src/data/stain/colour.js';
import { PrivacySchema } from '../../src/dp/privacy-config.js';
import { PrivacyLedger } from '../../src/accounting/index.js';
import { exactStainStatistics, stainCoordinates, stainReferenceFromSum, stainVector, STAIN_VECTOR_LENGTH } from '../../src/dp/statistics/stain-statistics.js';
import { nodeStainStatistics } from '../../src/site/site-statistics.js';
import { STATISTICS_NOISE_MULTIPLIER } from '../../src/dp/statistics/federated-statistics.js';

const SIZE = 12;
const H = [0.65, 0.7, 0.29];
const E = [0.07, 0.99, 0.11];

/** Tiles of haematoxylin and eosin in a site's own strengths; `glass` tiles are nearly white. */
function siteTiles(site: number, n: number, glass = 0): ArrayDataset {
  const rng = new Rng(100 + site);
  const px = SIZE * SIZE * 3;
  const images = new Float32Array((n + glass) * px);
  for (let t = 0; t < n + glass; t++) {
    const od = new Float32Array(px);
    for (let p = 0; p < SIZE * SIZE; p++) {
      const empty = t >= n;
      const h = empty ? 0.01 : (0.3 + 0.25 * site) * (p % 3 === 0 ? 1.5 : 0.4) * (0.8 + 0.4 * rng.next());
      const e = empty ? 0.01 : (0.6 - 0.15 * site) * (0.8 + 0.4 * rng.next());
      for (let c = 0; c < 3; c++) od[3 * p + c] = h * H[c]! + e * E[c]!;
    }
    images.set(fromOpticalDensity(od), t * px);
  }
  return new ArrayDataset({ height: SIZE, width: SIZE, channels: 3, classes: ['tissue'] }, images, new Int32Array(n + glass), `site${site}`);
}

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tolerance ${tol})`);

describe('federated stain reference', () => {
  it('sums per site add up to the union; the secure-aggregation vectors too; glass is skipped', async () => {
    const sites = [siteTiles(0, 8, 3), siteTiles(1, 12), siteTiles(2, 5, 1)];
    const stats = await Promise.all(sites.map((s) => exactStainStatistics(s)));
    assert.deepEqual(stats.map((s) => s.count), [8, 12, 5], 'tiles of empty glass carry no stain and are not counted');
    // What the coordinator gets from secure aggregation: the sum of count-weighted vectors, and the sum of counts.
    const secure = new Array<number>(STAIN_VECTOR_LENGTH).fill(0);
    for (const s of stats) stainVector(s).forEach((v, k) => (secure[k]! += v * s.count));
    const count = stats.reduce((a, s) => a + s.count, 0);
    // The plain way: every tissue tile's coordinates, summed.
    const plain = new Array<number>(STAIN_VECTOR_LENGTH).fill(0);
    for (const ds of sites) {
      for (let i = 0; i < ds.length; i++) {
        const r = reinhardStats((await ds.get(i)).image);
        if (r) stainCoordinates(r).forEach((v, k) => (plain[k]! += v));
      }
    }
    secure.forEach((v, k) => close(v, plain[k]!, 1e-9, `coordinate ${k}`));
    const ref = stainReferenceFromSum(secure, count);
    assert.equal(ref.method, 'reinhard');
    // The reference is the mean tile's L*a*b* statistics.
    const tiles: { mean: number[]; std: number[] }[] = [];
    for (const ds of sites) for (let i = 0; i < ds.length; i++) { const r = reinhardStats((await ds.get(i)).image); if (r) tiles.push(r); }
    for (let c = 0; c < 3; c++) {
      close(ref.mean[c]!, tiles.reduce((a, t) => a + t.mean[c]!, 0) / tiles.length, 1e-6, `mean ${c}`);
      close(ref.std[c]!, tiles.reduce((a, t) => a + t.std[c]!, 0) / tiles.length, 1e-6, `std ${c}`);
    }
    // Normalised to it, the sites' tiles agree far better than before (their L* means).
    const meanL = async (ds: ArrayDataset, norm: boolean) => {
      let s = 0;
      for (let i = 0; i < ds.length; i++) {
        const img = (await ds.get(i)).image;
        s += reinhardStats(norm ? reinhardNormalise(img, ref) : img)?.mean[0] ?? 0;
      }
      return s / ds.length;
    };
    const before = Math.abs((await meanL(siteTiles(0, 4), false)) - (await meanL(siteTiles(2, 4), false)));
    const after = Math.abs((await meanL(siteTiles(0, 4), true)) - (await meanL(siteTiles(2, 4), true)));
    assert.ok(before > 2 && after < before / 10, `site L* gap ${before} before, ${after} after`);
    assert.throws(() => stainReferenceFromSum([1, 2], 3), /6 sums and a positive count/);
  });

  it('refuses grey images and a site with no tissue', async () => {
    const grey = new ArrayDataset({ height: 2, width: 2, channels: 1, classes: ['a'] }, new Float32Array(4), new Int32Array(1), 'grey');
    await assert.rejects(exactStainStatistics(grey), /RGB tiles expected, the dataset has 1 channel/);
    await assert.rejects(exactStainStatistics(siteTiles(0, 0, 2)), /no training tile holds enough tissue/);
  });

  it('with DP: one Gaussian release charged to the site ledger first, noise within its bound', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'privmed-stain-'));
    try {
      const privacy = PrivacySchema.parse({ noiseMultiplier: 1, clipNorm: 1, delta: 1e-5 });
      const ledger = join(dir, 'ledger.sqlite');
      const tiles = siteTiles(1, 40);
      const exact = await exactStainStatistics(tiles);
      const noisy = await nodeStainStatistics(tiles, { privacy, ledger, site: 'hospital-1' });
      const opened = PrivacyLedger.open(ledger);
      try {
        const entries = opened.entries('hospital-1');
        assert.equal(entries.length, 1);
        assert.equal(entries[0]!.kind, 'statistics');
        const sensitivity = Math.sqrt(1 + STAIN_VECTOR_LENGTH);
        assert.deepEqual(entries[0]!.mechanism, { type: 'gaussian', sensitivity, noiseStd: STATISTICS_NOISE_MULTIPLIER * sensitivity });
        // Six sigma per coordinate (after the clamp to [0, count]).
        const bound = 6 * STATISTICS_NOISE_MULTIPLIER * sensitivity;
        close(noisy.count, exact.count, bound, 'count');
        noisy.sums.forEach((v, k) => close(v, exact.sums[k]!, bound, `sum ${k}`));
        assert.ok(noisy.sums.some((v, k) => v !== exact.sums[k]), 'noise was added');
        noisy.sums.forEach((v) => assert.ok(v >= 0 && v <= noisy.count));
      } finally {
        opened.close();
      }
      // Without a privacy section the exact sums go out and nothing is charged.
      assert.deepEqual(await nodeStainStatistics(tiles, undefined), exact);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
