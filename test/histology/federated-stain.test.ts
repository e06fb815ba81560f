/**
 * The federated stain reference end to end, in real processes: `simulate`
 * starts a coordinator and three node processes (mutual TLS, SecAgg+) on
 * synthetic H&E tiles whose stain differs by class, split label-skewed so the
 * sites' stains differ. Checked: the stored reference is the Reinhard
 * reference of the mean over all sites' tiles (to the secure sum's
 * quantisation), no site's own statistics reach the coordinator's database or
 * output, the dataset statistics are of the normalised tiles, and the saved
 * model carries the reference, which `privmed evaluate` applies.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { parseWith } from '../../src/common/config-file.js';
import { Rng } from '../../src/common/rng.js';
import { labelsOf, SubsetDataset, TransformedDataset } from '../../src/data/dataset.js';
import { partition } from '../../src/data/partition.js';
import { datasetStats } from '../../src/data/preprocess/normalize.js';
import { openDataset } from '../../src/data/resolve.js';
import { fromOpticalDensity } from '../../src/data/stain/colour.js';
import { applyStain } from '../../src/data/stain/stain-spec.js';
import { exactStainStatistics, stainReferenceFromSum, stainVector } from '../../src/dp/statistics/stain-statistics.js';
import { openDatabase } from '../../src/federation/store/sqlite.js';
import { RunStore } from '../../src/federation/store/run-store.js';
import { partitioning } from '../../src/site/open-site.js';
import { SimulationSchema } from '../../src/simulation/config.js';
import { simulate } from '../../src/simulation/simulate.js';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
const S = 16;
const H = [0.65, 0.7, 0.29];
const E = [0.07, 0.99, 0.11];
const PARTITION = { kind: 'label-skew', majority: 0.8, seed: 42 } as const;

/** Per class: haematoxylin and eosin strengths (each class stained its own way, so label-skewed sites differ in stain). */
const CLASSES = { dense: [0.8, 0.3], mid: [0.55, 0.5], loose: [0.35, 0.7] } as const;

/** A tile of nuclei (haematoxylin) on stroma (eosin). */
function tile(cls: keyof typeof CLASSES, rng: Rng): Buffer {
  const [hs, es] = CLASSES[cls];
  const od = new Float32Array(S * S * 3);
  for (let p = 0; p < S * S; p++) {
    const nucleus = (p % 5 === 0) !== (cls === 'dense') ? 1.4 : 0.3;
    const h = hs * nucleus * (0.8 + 0.4 * rng.next());
    const e = es * (0.8 + 0.4 * rng.next());
    for (let c = 0; c < 3; c++) od[3 * p + c] = h * H[c]! + e * E[c]!;
  }
  return Buffer.from(fromOpticalDensity(od).map((v) => Math.round(255 * Math.min(1, Math.max(0, v)))));
}

async function writeTiles(dir: string): Promise<void> {
  const rng = new Rng(11);
  for (const [split, n] of [['train', 20], ['val', 4], ['test', 6]] as const) {
    for (const cls of Object.keys(CLASSES) as (keyof typeof CLASSES)[]) {
      mkdirSync(join(dir, split, cls), { recursive: true });
      for (let i = 0; i < n; i++) await sharp(tile(cls, rng), { raw: { width: S, height: S, channels: 3 } }).png().toFile(join(dir, split, cls, `t${i}.png`));
    }
  }
}

const maxDiff = (a: readonly number[], b: readonly number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));

test('a federation of real processes exchanges the stain reference under SecAgg+, trains and scores with it, and stores it with the model', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'privmed-fed-stain-'));
  try {
    const data = join(dir, 'tiles');
    await writeTiles(data);
    const out = join(dir, 'run');
    const lines: string[] = [];
    const cfg = parseWith(SimulationSchema, {
      sites: 3,
      data: { dataset: data, stain: { method: 'reinhard', federated: true }, partition: PARTITION },
      model: { arch: 'small-cnn', norm: 'none', depth: 2, width: 4 },
      training: { batchSize: 16, augment: false },
      federation: { rounds: 1, minNodes: 3, aggregation: 'secagg', fit: { localEpochs: 1 }, evaluate: { metric: 'accuracy' } },
      output: out,
    });
    const r = await simulate(cfg, { onLine: (source, line) => lines.push(`${source}: ${line}`) });
    assert.equal(r.status, 'completed', lines.join('\n'));
    assert.ok(r.test && r.test.n === 18);

    const db = openDatabase(join(out, 'federation.sqlite'), { readonly: true });
    let stored;
    let norm;
    try {
      const store = new RunStore(db);
      const runId = store.findRun(cfg.runName)!.runId;
      stored = store.loadStainReference(runId);
      norm = store.loadStatistics(runId);
    } finally {
      db.close();
    }
    assert.ok(stored && norm, 'a stain reference and a normalisation were exchanged');
    assert.equal(stored.nodes, 3);
    assert.equal(stored.aggregation, 'secagg');
    assert.equal(stored.tileCount, 60, 'every training tile has tissue; the total count is exact');
    assert.ok(lines.some((l) => /coordinator: stain reference \(Reinhard\) exchanged with 3 nodes/.test(l)), 'the coordinator says so');

    // The truth: the Reinhard reference of the mean over all training tiles (the union of the sites' shares).
    const opened = await openDataset({ dataset: data });
    const train = opened.splits.train;
    const union = await exactStainStatistics(train);
    const truth = stainReferenceFromSum(union.sums, union.count);
    // Coordinates in [0, 1] are summed at the statistics round's fixed point; L* spans 100, a* and b* 256.
    assert.ok(maxDiff(stored.reference.mean, truth.mean) < 1e-3, `mean ${stored.reference.mean} vs ${truth.mean}`);
    assert.ok(maxDiff(stored.reference.std, truth.std) < 1e-3, `std ${stored.reference.std} vs ${truth.std}`);

    // Each site's own statistics (its share, as open-site.ts cuts it): they differ, and none reaches the coordinator.
    const shares = partition(labelsOf(train), 3, partitioning({ ...PARTITION, alpha: 0.5, sites: 3, index: 0 }), PARTITION.seed);
    const dbFile = join(out, 'federation.sqlite');
    const dbBytes = Buffer.concat([dbFile, `${dbFile}-wal`].filter(existsSync).map((f) => readFileSync(f)));
    const dbText = dbBytes.toString('latin1');
    const coordinatorText = lines.filter((l) => l.startsWith('coordinator:')).join('\n');
    assert.ok(dbText.includes(JSON.stringify(stored.reference.mean[0])), 'control: the reference is in the database');
    const unionVector = stainVector(union);
    for (const share of shares) {
      const own = stainVector(await exactStainStatistics(new SubsetDataset(train, share)));
      assert.ok(maxDiff([...own], [...unionVector]) > 0.005, 'the label skew gives each site its own stain');
      for (const v of own) {
        assert.ok(!dbText.includes(String(v)) && !coordinatorText.includes(String(v)), `a site's stain coordinate ${v} reached the coordinator`);
        const bytes = Buffer.alloc(8);
        bytes.writeDoubleLE(v);
        assert.equal(dbBytes.indexOf(bytes), -1, `a site's stain coordinate ${v} is in the database as a double`);
      }
    }

    // The dataset statistics describe the tiles normalised to the reference (exchanged after it).
    const normalised = await datasetStats(new TransformedDataset(train, (s) => ({ ...s, image: applyStain(s.image, stored.reference) }), 0));
    assert.ok(maxDiff(norm.mean, normalised.mean) < 1e-4, `normalisation mean ${norm.mean} vs ${normalised.mean}`);
    assert.ok(maxDiff(norm.std, normalised.std) < 1e-4, `normalisation std ${norm.std} vs ${normalised.std}`);
    // Control: the raw tiles' statistics are told apart at that tolerance (normalising to the mean tile evens out the tiles' colours).
    const raw = await datasetStats(train);
    const gap = maxDiff([...raw.mean, ...raw.std], [...normalised.mean, ...normalised.std]);
    assert.ok(gap > 1e-3, `control: raw and normalised statistics differ by only ${gap}`);

    // The model carries the reference; evaluate (as predict) reads it from there and scores as the simulation did.
    const meta = JSON.parse(readFileSync(join(out, 'best', 'privmed.json'), 'utf8')) as { preprocessing: { stain: unknown } };
    assert.deepEqual(meta.preprocessing.stain, stored.reference);
    const e = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'evaluate', '--model', join(out, 'best'), '--data', data, '--json'], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(e.status, 0, e.stderr);
    const scored = JSON.parse(e.stdout) as { accuracy: number; confusion: number[][]; auc: number };
    assert.deepEqual(scored.confusion, r.test.confusion);
    assert.ok(Math.abs(scored.auc - r.test.auc) < 1e-6, `auc ${scored.auc} vs ${r.test.auc}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
