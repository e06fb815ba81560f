/**
 * PriMIA's exchange of dataset statistics (exchangeStatistics: true), in the
 * real federation (coordinator and nodes in this process, gRPC over mutual
 * TLS): the global mean/std the coordinator stores and sends with every fit
 * and evaluate task equal those of the union of the nodes' (clamped) images -
 * exactly with plain aggregation, within the quantisation bound under secure
 * aggregation, within the noise bound with DP at the nodes; under secure
 * aggregation no node's numbers reach the coordinator's database or events;
 * a resumed run reuses the stored numbers without asking the nodes again.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PrivacyLedger } from '../../src/accounting/index.js';
import { PrivacySchema } from '../../src/dp/privacy-config.js';
import { datasetStats, type ChannelStats } from '../../src/data/preprocess/normalize.js';
import { STATISTICS_NOISE_MULTIPLIER } from '../../src/dp/statistics/federated-statistics.js';
import { openDatabase } from '../../src/federation/store/sqlite.js';
import { RunStore, type RunStatistics } from '../../src/federation/store/run-store.js';
import { makeFederation, type Federation } from './helpers/federation-setup.js';
import { runInProcess } from './helpers/in-process.js';
import { zeroModel } from './fixtures/logistic-trainer.js';
import { clampedUnion, IMAGE_CHANNELS, nodeImages, StatisticsTrainer } from './fixtures/statistics-trainer.js';
import { FEATURES } from './fixtures/synthetic-data.js';

const NODES = ['alice', 'bob', 'charlie'];
// Different sizes and brightness per node, so that a wrong weighting shows.
const SIZES = [150, 300, 450];
const initialWeights = zeroModel(FEATURES);

function storedStatistics(dbFile: string): RunStatistics | null {
  const db = openDatabase(dbFile, { readonly: true });
  try {
    const store = new RunStore(db);
    return store.loadStatistics(store.listRuns()[0]!.runId);
  } finally {
    db.close();
  }
}

function maxDiff(a: readonly number[], b: readonly number[]): number {
  assert.equal(a.length, b.length);
  return Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
}

/** Every fit and evaluate task carried exactly the stored normalisation. */
function assertSent(trainers: StatisticsTrainer[], stored: ChannelStats): void {
  for (const t of trainers) {
    assert.ok(t.received.some((r) => r.kind === 'fit') && t.received.some((r) => r.kind === 'evaluate'));
    for (const r of t.received) assert.deepEqual(r.norm, { mean: stored.mean, std: stored.std }, `${r.kind} of round ${r.round}`);
  }
}

describe('statistics exchange in the federation', () => {
  let fed: Federation;
  let truth: ChannelStats;
  before(async () => {
    fed = await makeFederation(NODES);
    truth = await datasetStats(await clampedUnion(NODES.map((_, i) => nodeImages(i, SIZES[i]!))));
  });
  after(() => fed.cleanup());

  const trainers = (privacy?: (node: string) => ConstructorParameters<typeof StatisticsTrainer>[2], sizes = SIZES) =>
    NODES.map((name, i) => new StatisticsTrainer(i, nodeImages(i, sizes[i]!), privacy?.(name)));
  const nodes = (ts: StatisticsTrainer[]) => NODES.map((name, i) => ({ name, trainer: ts[i]! }));

  it('plain aggregation: the exchanged mean/std are exactly those of all the nodes\' images, and reach every task', async () => {
    const database = join(fed.dir, 'plain.db');
    const ts = trainers();
    const run = await runInProcess(fed, fed.coordinatorConfig({ rounds: 2, database, exchangeStatistics: true }), nodes(ts), { initialWeights });
    assert.equal(run.result.status, 'completed', run.result.message);
    const stored = storedStatistics(database)!;
    assert.equal(stored.imageCount, 900);
    assert.equal(stored.nodes, 3);
    assert.equal(stored.aggregation, 'plain');
    // Float64 sums in another order: equal to the last few bits.
    assert.ok(maxDiff(stored.mean, truth.mean) < 1e-12, `mean ${stored.mean} vs ${truth.mean}`);
    assert.ok(maxDiff(stored.std, truth.std) < 1e-12, `std ${stored.std} vs ${truth.std}`);
    // The nodes differ: a node's own numbers are not the global ones.
    assert.ok(maxDiff(stored.mean, (await datasetStats(await clampedUnion([nodeImages(0, SIZES[0]!)]))).mean) > 0.05);
    assertSent(ts, stored);
    for (const t of ts) assert.equal(t.reports.length, 1, 'asked once');
    assert.deepEqual(run.events.filter((e) => e.type === 'statistics').map((e) => e.type === 'statistics' && e.reused), [false]);
  });

  it('secure aggregation: the same numbers within the quantisation bound, and no node\'s statistics in the database or events', async () => {
    const database = join(fed.dir, 'secure.db');
    const ts = trainers();
    const run = await runInProcess(
      fed,
      fed.coordinatorConfig({ rounds: 1, database, exchangeStatistics: true, aggregation: 'secagg', secagg: { clip: 8, stageTimeoutSec: 10 } }),
      nodes(ts),
      { initialWeights },
    );
    assert.equal(run.result.status, 'completed', run.result.message);
    const stored = storedStatistics(database)!;
    assert.equal(stored.imageCount, 900, 'the total count is exact (quantisation error < 0.5)');
    assert.equal(stored.aggregation, 'secagg');
    assert.ok(maxDiff(stored.mean, truth.mean) < 1e-6, `mean ${stored.mean} vs ${truth.mean}`);
    assert.ok(maxDiff(stored.std, truth.std) < 1e-6, `std ${stored.std} vs ${truth.std}`);
    assertSent(ts, stored);

    // What could identify one node's numbers: its count, its per-channel means and mean squares, its raw sums.
    const dbText = Buffer.concat([database, `${database}-wal`].filter(existsSync).map((f) => readFileSync(f))).toString('latin1');
    const eventsText = JSON.stringify(run.events);
    assert.ok(dbText.includes(JSON.stringify(stored.mean)), 'control: the global mean is in the database as JSON');
    for (const t of ts) {
      const s = t.reports[0]!;
      const secrets = [...s.sum, ...s.sumSquares, ...s.sum.map((v) => v / s.count), ...s.sumSquares.map((v) => v / s.count)].map(String);
      for (const secret of secrets) {
        assert.ok(!dbText.includes(secret), `${secret} of a node is in the database`);
        assert.ok(!eventsText.includes(secret), `${secret} of a node is in the events`);
        const bytes = Buffer.alloc(8);
        bytes.writeDoubleLE(Number(secret));
        assert.equal(Buffer.from(dbText, 'latin1').indexOf(bytes), -1, `${secret} of a node is in the database as a double`);
      }
      assert.ok(!eventsText.includes(`:${s.count},`) && !eventsText.includes(`:${s.count}}`), `${s.count} images of a node in the events`);
    }
    const db = openDatabase(database, { readonly: true });
    try {
      assert.equal((db.prepare('SELECT count(*) AS n FROM node_results WHERE round = 0').get() as { n: number }).n, 0, 'no per-node rows for the exchange');
    } finally {
      db.close();
    }
  });

  it('DP at the nodes: one charged Gaussian release per node, and the exchanged numbers within the noise bound', async () => {
    const database = join(fed.dir, 'dp.db');
    const privacy = PrivacySchema.parse({ noiseMultiplier: 1, clipNorm: 1, delta: 1e-5 });
    const ledgerOf = (node: string) => join(fed.dir, `${node}-ledger.sqlite`);
    // Enough images that the noise bound is tight (about 0.01 on the mean).
    const sizes = [10_000, 20_000, 30_000];
    const total = sizes.reduce((a, b) => a + b);
    const exact = await datasetStats(await clampedUnion(NODES.map((_, i) => nodeImages(i, sizes[i]!))));
    const ts = trainers((node) => ({ privacy, ledger: ledgerOf(node), site: node }), sizes);
    const run = await runInProcess(
      fed,
      fed.coordinatorConfig({ rounds: 1, database, exchangeStatistics: true, aggregation: 'secagg' }),
      nodes(ts),
      { initialWeights },
    );
    assert.equal(run.result.status, 'completed', run.result.message);
    const sensitivity = Math.sqrt(1 + 2 * IMAGE_CHANNELS);
    for (const node of NODES) {
      const ledger = PrivacyLedger.open(ledgerOf(node));
      try {
        const entries = ledger.entries(node);
        assert.equal(entries.length, 1, JSON.stringify(entries));
        assert.equal(entries[0]!.kind, 'statistics');
        assert.deepEqual(entries[0]!.mechanism, { type: 'gaussian', sensitivity, noiseStd: STATISTICS_NOISE_MULTIPLIER * sensitivity });
      } finally {
        ledger.close();
      }
    }
    const stored = storedStatistics(database)!;
    // Each node adds N(0, sigma^2) to its count and every sum; 5 sigma over the 3 nodes' sum bounds the error.
    const noise = 5 * STATISTICS_NOISE_MULTIPLIER * sensitivity * Math.sqrt(NODES.length);
    assert.ok(Math.abs(stored.imageCount - total) <= noise, `count ${stored.imageCount}`);
    // |S'/N' - S/N| <= (|eS| + |eN| S/N) / (N - |eN|), with S/N <= 1; likewise for the mean square.
    const meanBound = (2 * noise) / (total - noise);
    const varianceBound = meanBound + 2 * meanBound + meanBound ** 2;
    assert.ok(maxDiff(stored.mean, exact.mean) <= meanBound, `mean ${stored.mean} vs ${exact.mean}, bound ${meanBound}`);
    exact.std.forEach((s, c) =>
      assert.ok(Math.abs(stored.std[c]! - s) <= varianceBound / s, `std ${stored.std[c]} vs ${s}, bound ${varianceBound / s}`),
    );
    assert.ok(maxDiff(stored.mean, exact.mean) > 0, 'noise was added');
    assertSent(ts, stored);
  });

  it('a restarted coordinator reuses the stored statistics and asks no node again', async () => {
    const database = join(fed.dir, 'resume.db');
    const first = trainers();
    const a = await runInProcess(fed, fed.coordinatorConfig({ rounds: 1, database, exchangeStatistics: true }), nodes(first), { initialWeights });
    assert.equal(a.result.status, 'completed', a.result.message);
    const stored = storedStatistics(database)!;
    const second = trainers();
    const b = await runInProcess(fed, fed.coordinatorConfig({ rounds: 2, database, exchangeStatistics: true }), nodes(second));
    assert.equal(b.result.status, 'completed', b.result.message);
    assert.equal(b.result.roundsCompleted, 2);
    for (const t of second) assert.equal(t.reports.length, 0, 'no second release');
    assert.deepEqual(b.events.filter((e) => e.type === 'statistics').map((e) => e.type === 'statistics' && e.reused), [true]);
    assert.deepEqual(storedStatistics(database), stored);
    assertSent(second, stored);
  });

  it('fails the run with the reason when a node\'s trainer cannot report statistics', async () => {
    const database = join(fed.dir, 'unsupported.db');
    const ts = trainers();
    // bob's trainer has no statistics(): it refuses, and 2 of 3 are fewer than minNodes.
    const bob = ts[1]!;
    const withoutStatistics = { fit: bob.fit.bind(bob), evaluate: bob.evaluate.bind(bob) };
    const run = await runInProcess(
      fed,
      fed.coordinatorConfig({ rounds: 1, database, exchangeStatistics: true, maxRoundAttempts: 1 }),
      NODES.map((name, i) => ({ name, trainer: i === 1 ? withoutStatistics : ts[i]! })),
      { initialWeights },
    );
    assert.equal(run.result.status, 'failed');
    assert.match(run.result.message, /statistics exchange failed 1 times.*bob rejected \(the node refused: this node cannot report dataset statistics\)/);
    assert.equal(storedStatistics(database), null);
  });
});
