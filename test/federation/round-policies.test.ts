/**
 * Round policies with the real coordinator and nodes in one process (gRPC
 * over mutual TLS on 127.0.0.1): sub-epoch sync, FedProx's mu reaching the
 * trainer, global early stopping, and rounds that cannot reach minNodes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { NodeAggregation } from '../../src/federation/node/node-aggregation.js';
import { PlainNodeAggregation } from '../../src/federation/protocols/plain/node.js';
import type { FitConfig } from '../../src/site/fit-config.js';
import { makeFederation, type Federation } from './helpers/federation-setup.js';
import { runInProcess } from './helpers/in-process.js';
import { readRun } from './helpers/run-db.js';
import { LogisticTrainer, zeroModel } from './fixtures/logistic-trainer.js';
import { FEATURES, nodeData } from './fixtures/synthetic-data.js';

/** The real trainer, remembering the fit configs it was given. */
class RecordingTrainer extends LogisticTrainer {
  readonly configs: FitConfig[] = [];
  override fit(weights: Float32Array[], config: FitConfig) {
    this.configs.push(config);
    return super.fit(weights, config);
  }
}

const trainer = (index: number) => new RecordingTrainer(nodeData(index).train, nodeData(index).val, { seed: index });

const nanAggregation: NodeAggregation = {
  step: (task) => new PlainNodeAggregation().step(task),
  async afterFit(task, output) {
    const reply = await new PlainNodeAggregation().afterFit(task, output);
    reply.tensors![0]!.data[3] = Number.NaN;
    return reply;
  },
};

describe('round policies (in-process federation, mutual TLS)', () => {
  let fed: Federation;
  let n = 0;
  const db = () => join(fed.dir, `run-${++n}.db`);
  before(async () => {
    fed = await makeFederation(['alice', 'bob']);
  });
  after(() => fed.cleanup());

  it('syncs every N batches and sends FedProx mu to the trainers', async () => {
    const database = db();
    const trainers = [trainer(0), trainer(1)];
    const run = await runInProcess(
      fed,
      fed.coordinatorConfig({ database, rounds: 3, strategy: { name: 'fedprox', mu: 0.1 }, fit: { syncEveryNBatches: 3, batchSize: 16 } }),
      [{ name: 'alice', trainer: trainers[0]! }, { name: 'bob', trainer: trainers[1]! }],
      { initialWeights: zeroModel(FEATURES) },
    );
    assert.equal(run.result.status, 'completed');
    for (const t of trainers) {
      assert.deepEqual(t.configs.map((c) => [c.round, c.syncEveryNBatches, c.proximalMu, c.batchSize]), [[1, 3, 0.1, 16], [2, 3, 0.1, 16], [3, 3, 0.1, 16]]);
    }
    const { results } = readRun(database);
    const fits = results.filter((r) => r.phase === 'fit');
    assert.equal(fits.length, 6);
    assert.ok(fits.every((r) => r.status === 'accepted' && r.num_samples === 48), 'each node used 3 batches of 16 per round');
  });

  it('stops early when the metric has not improved for `patience` evaluations', async () => {
    const database = db();
    const run = await runInProcess(
      fed,
      // A learning rate of 0 leaves the model unchanged: MCC never improves after round 1.
      fed.coordinatorConfig({ database, rounds: 10, fit: { localEpochs: 1, learningRate: 0 }, evaluate: { metric: 'mcc', patience: 2 } }),
      [{ name: 'alice', trainer: trainer(0) }, { name: 'bob', trainer: trainer(1) }],
      { initialWeights: zeroModel(FEATURES).map((t, i) => ({ ...t, data: t.data.map((_, j) => (i === 0 && j === 0 ? 1 : 0)) })) },
    );
    assert.equal(run.result.status, 'stopped_early');
    assert.match(run.result.message, /stopped early after round 3: no improvement of mcc for 2 evaluations \(best: round 1/);
    const { run: row, completed } = readRun(database);
    assert.equal(row.status, 'stopped_early');
    assert.equal(row.bestRound, 1);
    assert.deepEqual(completed.map((r) => r.round), [1, 2, 3]);
    for (const node of run.nodes) assert.ok(!(node instanceof Error) && /stopped early/.test(node.message), 'the nodes were told why');
  });

  it("keeps the last round with evaluate.select 'last' (the choice under DP), however the metric moved", async () => {
    const database = db();
    const run = await runInProcess(
      fed,
      fed.coordinatorConfig({ database, rounds: 3, fit: { localEpochs: 1, learningRate: 0 }, evaluate: { metric: 'mcc', select: 'last' } }),
      [{ name: 'alice', trainer: trainer(0) }, { name: 'bob', trainer: trainer(1) }],
      { initialWeights: zeroModel(FEATURES).map((t, i) => ({ ...t, data: t.data.map((_, j) => (i === 0 && j === 0 ? 1 : 0)) })) },
    );
    assert.equal(run.result.status, 'completed');
    assert.equal(readRun(database).run.bestRound, 3);
  });

  it('leaves out a node that misses the round timeout and discards its late result', async () => {
    const database = db();
    /** bob's first fit takes longer than the round may. */
    class SlowFirstFit extends RecordingTrainer {
      override async fit(weights: Float32Array[], config: FitConfig) {
        if (this.configs.length === 0) await new Promise((r) => setTimeout(r, 1500));
        return super.fit(weights, config);
      }
    }
    const bob = new SlowFirstFit(nodeData(1).train, nodeData(1).val);
    const bobEvents: string[] = [];
    const run = await runInProcess(
      fed,
      fed.coordinatorConfig({ database, rounds: 3, minNodes: 1, minAvailableNodes: 2, roundTimeoutSec: 0.7 }),
      [{ name: 'alice', trainer: trainer(0) }, { name: 'bob', trainer: bob }],
      { initialWeights: zeroModel(FEATURES) },
      (name, e) => name === 'bob' && e.type === 'submitted' && bobEvents.push(`${e.round}:${e.kind}:${e.accepted}:${e.reason}`),
    );
    assert.equal(run.result.status, 'completed');
    const { results } = readRun(database);
    const bobFits = results.filter((r) => r.node === 'bob' && r.phase === 'fit');
    assert.deepEqual(bobFits.map((r) => [r.round, r.status]), [[1, 'dropped'], [2, 'accepted'], [3, 'accepted']]);
    assert.match(bobFits[0]!.message!, /no answer within 0\.7 s/);
    assert.ok(run.events.some((e) => e.type === 'late-result' && e.node === 'bob'));
    assert.match(bobEvents[0]!, /^1:fit:false:late or unknown task/);
    const round1 = run.events.find((e) => e.type === 'round-completed' && e.round === 1) as { fitMetrics: Record<string, number> };
    assert.equal(round1.fitMetrics.nodes, 1, 'round 1 used only alice');
  });

  it("stops a node whose trainer fails with the trainer's error; the round goes on without it", async () => {
    class BrokenTrainer extends RecordingTrainer {
      override async fit(): Promise<never> {
        throw new Error('out of memory while allocating the batch');
      }
    }
    const database = db();
    const run = await runInProcess(
      fed,
      fed.coordinatorConfig({ database, rounds: 1, minNodes: 1, minAvailableNodes: 2 }),
      [{ name: 'alice', trainer: trainer(0) }, { name: 'bob', trainer: new BrokenTrainer(nodeData(1).train, nodeData(1).val) }],
      { initialWeights: zeroModel(FEATURES) },
    );
    assert.equal(run.result.status, 'completed');
    assert.ok(run.nodes[1] instanceof Error && run.nodes[1].message === 'out of memory while allocating the batch', String(run.nodes[1]));
    const bob = readRun(database).results.find((r) => r.node === 'bob' && r.phase === 'fit')!;
    assert.equal(bob.status, 'dropped');
  });

  it('fails clearly when not enough nodes connect', async () => {
    const run = await runInProcess(fed, fed.coordinatorConfig({ database: db(), waitForNodesTimeoutSec: 1 }), [{ name: 'alice', trainer: trainer(0) }], {
      initialWeights: zeroModel(FEATURES),
    });
    assert.equal(run.result.status, 'failed');
    assert.match(run.result.message, /only 1 of the 2 nodes needed connected within 1 s \(missing: bob\)/);
  });

  it('retries a round that got too few valid updates, then fails naming the node and the reason', async () => {
    const database = db();
    const run = await runInProcess(
      fed,
      fed.coordinatorConfig({ database, rounds: 2, maxRoundAttempts: 2 }),
      [{ name: 'alice', trainer: trainer(0) }, { name: 'bob', trainer: trainer(1), aggregation: nanAggregation }],
      { initialWeights: zeroModel(FEATURES) },
    );
    assert.equal(run.result.status, 'failed');
    assert.match(run.result.message, /round 1 failed 2 times; last: 1 valid updates, need 2: bob rejected \(tensor 'dense\/kernel' has a non-finite value \(NaN\) at index 3\)/);
    assert.deepEqual(run.events.filter((e) => e.type === 'round-failed').map((e) => (e as { willRetry: boolean }).willRetry), [true, false]);
    const { run: row, rounds } = readRun(database);
    assert.equal(row.status, 'failed');
    assert.deepEqual(rounds.map((r) => [r.round, r.attempt, r.status]), [[1, 1, 'failed'], [1, 2, 'failed']]);
  });
});
