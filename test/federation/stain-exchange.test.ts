/**
 * The stain-reference exchange (exchangeStain: true) in the real federation
 * (coordinator and nodes in this process, gRPC over mutual TLS): each node
 * reports its tiles' stain statistics through the production site code
 * (site/site-statistics.ts), the coordinator stores the Reinhard reference of
 * their sum and sends it with every later task - exactly the mean over all
 * tiles in the clear, within the noise bound with DP at the nodes under
 * secure aggregation, where each node charges one Gaussian release to its
 * ledger first. A node that cannot report stain statistics fails the exchange
 * with its reason; a resumed run asks no node again.
 * (The real-process run with real sites, tiles and the saved model:
 * test/histology/federated-stain.test.ts.)
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { PrivacyLedger } from '../../src/accounting/index.js';
import { PrivmedError } from '../../src/common/errors.js';
import { Rng } from '../../src/common/rng.js';
import { ArrayDataset } from '../../src/data/dataset.js';
import { fromOpticalDensity } from '../../src/data/stain/colour.js';
import type { StainSpec } from '../../src/data/stain/stain-spec.js';
import { PrivacySchema } from '../../src/dp/privacy-config.js';
import { STATISTICS_NOISE_MULTIPLIER } from '../../src/dp/statistics/federated-statistics.js';
import { exactStainStatistics, stainAsExchanged, stainReferenceFromSum, type StainStatistics } from '../../src/dp/statistics/stain-statistics.js';
import type { DatasetStatistics } from '../../src/federation/wire/statistics.js';
import { openDatabase } from '../../src/federation/store/sqlite.js';
import { RunStore, type RunStainReference } from '../../src/federation/store/run-store.js';
import { stainFromConfig, statisticsKindOf, type ConfigScalar, type EvaluateConfig, type FitConfig } from '../../src/site/fit-config.js';
import type { EvaluateOutput, FitOutput, LocalTrainer } from '../../src/site/local-trainer.js';
import type { NodePrivacyOptions } from '../../src/site/site-privacy.js';
import { nodeStainStatistics } from '../../src/site/site-statistics.js';
import type { NamedTensor } from '../../src/federation/wire/tensors.js';
import { makeFederation, type Federation } from './helpers/federation-setup.js';
import { runInProcess } from './helpers/in-process.js';
import { LogisticTrainer, zeroModel } from './fixtures/logistic-trainer.js';
import { FEATURES, nodeData } from './fixtures/synthetic-data.js';

const NODES = ['alice', 'bob', 'charlie'];
const SIZE = 4;
const H = [0.65, 0.7, 0.29];
const E = [0.07, 0.99, 0.11];
const initialWeights = zeroModel(FEATURES);

/** n tiles of haematoxylin and eosin in the node's own strengths. */
function nodeTiles(node: number, n: number): ArrayDataset {
  const rng = new Rng(300 + node);
  const px = SIZE * SIZE * 3;
  const images = new Float32Array(n * px);
  const od = new Float32Array(px);
  for (let t = 0; t < n; t++) {
    for (let p = 0; p < SIZE * SIZE; p++) {
      const h = (0.3 + 0.25 * node) * (p % 3 === 0 ? 1.5 : 0.4) * (0.8 + 0.4 * rng.next());
      const e = (0.6 - 0.15 * node) * (0.8 + 0.4 * rng.next());
      for (let c = 0; c < 3; c++) od[3 * p + c] = h * H[c]! + e * E[c]!;
    }
    images.set(fromOpticalDensity(od), t * px);
  }
  return new ArrayDataset({ height: SIZE, width: SIZE, channels: 3, classes: ['tissue'] }, images, new Int32Array(n), `node${node}`);
}

/** The logistic trainer for the rounds; stain statistics through the production site code; records the reference each task carried. */
class StainTrainer implements LocalTrainer {
  readonly received: { kind: 'fit' | 'evaluate'; stain: StainSpec | null }[] = [];
  readonly reports: StainStatistics[] = [];
  private readonly inner: LogisticTrainer;

  constructor(index: number, readonly tiles: ArrayDataset | null, private readonly privacy?: NodePrivacyOptions) {
    this.inner = new LogisticTrainer(nodeData(index, 60).train, nodeData(index, 60, 20).val, { seed: index });
  }
  async fit(weights: Float32Array[], config: FitConfig): Promise<FitOutput> {
    this.received.push({ kind: 'fit', stain: stainFromConfig(config) });
    return this.inner.fit(weights, config);
  }
  async evaluate(weights: Float32Array[], config: EvaluateConfig): Promise<EvaluateOutput> {
    this.received.push({ kind: 'evaluate', stain: stainFromConfig(config) });
    return this.inner.evaluate(weights, config);
  }
  async initialWeights(): Promise<NamedTensor[]> {
    return this.inner.initialWeights();
  }
  async statistics(request: Readonly<Record<string, ConfigScalar>> = {}): Promise<DatasetStatistics> {
    assert.equal(statisticsKindOf(request), 'stain', 'only the stain exchange runs here');
    if (!this.tiles) throw new PrivmedError('this node has no tiles with stain');
    const s = await nodeStainStatistics(this.tiles, this.privacy);
    this.reports.push(s);
    return stainAsExchanged(s);
  }
}

function storedReference(dbFile: string): RunStainReference | null {
  const db = openDatabase(dbFile, { readonly: true });
  try {
    const store = new RunStore(db);
    return store.loadStainReference(store.listRuns()[0]!.runId);
  } finally {
    db.close();
  }
}

const maxDiff = (a: readonly number[], b: readonly number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));

/** The reference of all nodes' tiles together. */
async function unionReference(sets: ArrayDataset[]): Promise<{ reference: ReturnType<typeof stainReferenceFromSum>; count: number; sums: number[] }> {
  const stats = await Promise.all(sets.map((s) => exactStainStatistics(s)));
  const sums = stats.reduce((acc, s) => acc.map((v, k) => v + s.sums[k]!), new Array<number>(6).fill(0));
  const count = stats.reduce((a, s) => a + s.count, 0);
  return { reference: stainReferenceFromSum(sums, count), count, sums };
}

function assertSent(trainers: StainTrainer[], reference: StainSpec): void {
  for (const t of trainers) {
    assert.ok(t.received.some((r) => r.kind === 'fit') && t.received.some((r) => r.kind === 'evaluate'));
    for (const r of t.received) assert.deepEqual(r.stain, reference, `${r.kind} task`);
  }
}

describe('stain reference exchange in the federation', () => {
  let fed: Federation;
  before(async () => {
    fed = await makeFederation(NODES);
  });
  after(() => fed.cleanup());

  it('plain aggregation: the reference is exactly that of the mean tile over all nodes, reaches every task, and a resumed run asks no node again', async () => {
    const database = join(fed.dir, 'plain.db');
    const sets = [nodeTiles(0, 150), nodeTiles(1, 300), nodeTiles(2, 450)];
    const ts = sets.map((s, i) => new StainTrainer(i, s));
    const run = await runInProcess(fed, fed.coordinatorConfig({ rounds: 1, database, exchangeStain: true }), NODES.map((name, i) => ({ name, trainer: ts[i]! })), { initialWeights });
    assert.equal(run.result.status, 'completed', run.result.message);
    const stored = storedReference(database)!;
    const truth = await unionReference(sets);
    assert.equal(stored.tileCount, 900);
    assert.equal(stored.nodes, 3);
    assert.ok(maxDiff(stored.reference.mean, truth.reference.mean) < 1e-9 && maxDiff(stored.reference.std, truth.reference.std) < 1e-9, JSON.stringify([stored.reference, truth.reference]));
    // The nodes differ: one node's own reference is not the federation's.
    const own = await unionReference([sets[0]!]);
    assert.ok(maxDiff(own.reference.mean, stored.reference.mean) > 1, `${own.reference.mean} vs ${stored.reference.mean}`);
    assertSent(ts, stored.reference);
    assert.deepEqual(run.events.filter((e) => e.type === 'stain-reference').map((e) => e.type === 'stain-reference' && e.reused), [false]);

    const again = sets.map((s, i) => new StainTrainer(i, s));
    const b = await runInProcess(fed, fed.coordinatorConfig({ rounds: 2, database, exchangeStain: true }), NODES.map((name, i) => ({ name, trainer: again[i]! })));
    assert.equal(b.result.status, 'completed', b.result.message);
    for (const t of again) assert.equal(t.reports.length, 0, 'no second release');
    assert.deepEqual(storedReference(database), stored);
    assertSent(again, stored.reference);
  });

  it('DP at the nodes under SecAgg+: one charged Gaussian release per node before it reports, and the reference within the noise bound', async () => {
    const database = join(fed.dir, 'dp.db');
    const privacy = PrivacySchema.parse({ noiseMultiplier: 1, clipNorm: 1, delta: 1e-5 });
    const ledgerOf = (node: string) => join(fed.dir, `${node}-ledger.sqlite`);
    // Enough tiles that the noise bound is tight (about 0.008 of each coordinate's range).
    const sets = [nodeTiles(0, 10_000), nodeTiles(1, 20_000), nodeTiles(2, 30_000)];
    const ts = sets.map((s, i) => new StainTrainer(i, s, { privacy, ledger: ledgerOf(NODES[i]!), site: NODES[i]! }));
    const run = await runInProcess(
      fed,
      // The nodes share this process's one thread: summing 30 000 tiles holds up everyone's heartbeats (a node
      // process beats from its own thread), so the timeouts are long enough for a loaded machine.
      fed.coordinatorConfig({ rounds: 1, database, exchangeStain: true, aggregation: 'secagg', heartbeatTimeoutSec: 120, roundTimeoutSec: 300, secagg: { stageTimeoutSec: 300 } }),
      NODES.map((name, i) => ({ name, trainer: ts[i]! })),
      { initialWeights },
    );
    assert.equal(run.result.status, 'completed', run.result.message);
    const sensitivity = Math.sqrt(7);
    for (const node of NODES) {
      const ledger = PrivacyLedger.open(ledgerOf(node));
      try {
        const entries = ledger.entries(node);
        assert.equal(entries.length, 1, `${JSON.stringify(entries)}; exchange failures: ${JSON.stringify(run.events.filter((e) => e.type === 'statistics-failed'))}`);
        assert.equal(entries[0]!.kind, 'statistics');
        assert.match(entries[0]!.note ?? '', /stain reference/);
        assert.deepEqual(entries[0]!.mechanism, { type: 'gaussian', sensitivity, noiseStd: STATISTICS_NOISE_MULTIPLIER * sensitivity });
      } finally {
        ledger.close();
      }
    }
    const stored = storedReference(database)!;
    assert.equal(stored.aggregation, 'secagg');
    const truth = await unionReference(sets);
    // Each node adds N(0, sigma^2) to its count and each sum; 5 sigma over the 3 nodes' sum bounds the error.
    const noise = 5 * STATISTICS_NOISE_MULTIPLIER * sensitivity * Math.sqrt(NODES.length);
    assert.ok(Math.abs(stored.tileCount - truth.count) <= noise, `count ${stored.tileCount} vs ${truth.count}`);
    // Per coordinate in [0, 1]: |S'/N' - S/N| <= (|eS| + |eN| S/N) / (N - |eN|), S/N <= 1; back in L*a*b* units by the coordinate's range.
    const bound = (2 * noise) / (truth.count - noise);
    const ranges = { mean: [100, 256, 256], std: [50, 64, 64] };
    for (const key of ['mean', 'std'] as const) {
      stored.reference[key].forEach((v, c) => {
        const err = Math.abs(v - truth.reference[key][c]!);
        assert.ok(err <= bound * ranges[key][c]!, `${key}[${c}] ${v} vs ${truth.reference[key][c]}: error ${err}, bound ${bound * ranges[key][c]!}`);
      });
    }
    assert.ok(maxDiff(stored.reference.mean, truth.reference.mean) > 0, 'noise was added');
    // What each node released is noisy, not its exact sums.
    for (const [i, t] of ts.entries()) assert.notDeepEqual(t.reports[0]!.sums, (await exactStainStatistics(sets[i]!)).sums);
    assertSent(ts, stored.reference);
  });

  it('fails the run with the reason when a node cannot report stain statistics', async () => {
    const database = join(fed.dir, 'refused.db');
    const ts = [new StainTrainer(0, nodeTiles(0, 20)), new StainTrainer(1, null), new StainTrainer(2, nodeTiles(2, 20))];
    const run = await runInProcess(
      fed,
      fed.coordinatorConfig({ rounds: 1, database, exchangeStain: true, maxRoundAttempts: 1 }),
      NODES.map((name, i) => ({ name, trainer: ts[i]! })),
      { initialWeights },
    );
    assert.equal(run.result.status, 'failed');
    assert.match(run.result.message, /stain statistics exchange failed 1 times.*bob rejected \(the node refused: this node has no tiles with stain\)/);
    assert.equal(storedReference(database), null);
  });
});
