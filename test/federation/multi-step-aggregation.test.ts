/**
 * The coordinator hosts aggregation protocols with several exchanges per
 * round (as secure aggregation needs): a two-step protocol run over real
 * gRPC/mTLS gives the same global model as plain FedAvg.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { makeFederation, type Federation } from './helpers/federation-setup.js';
import { runInProcess } from './helpers/in-process.js';
import { readRun } from './helpers/run-db.js';
import { LogisticTrainer, zeroModel } from './fixtures/logistic-trainer.js';
import { FEATURES, nodeData } from './fixtures/synthetic-data.js';
import { TwoStepAggregator, TwoStepNodeAggregation } from './fixtures/two-step-aggregation.js';

const NODES = ['alice', 'bob', 'charlie'];
// Different data sizes, so that the weighting matters.
const trainers = () => NODES.map((_, i) => new LogisticTrainer(nodeData(i, 120 + 60 * i).train, nodeData(i).val, { seed: i }));

describe('multi-step aggregation', () => {
  let fed: Federation;
  before(async () => {
    fed = await makeFederation(NODES);
  });
  after(() => fed.cleanup());

  it('runs a two-exchange protocol per round and matches plain FedAvg', async () => {
    const plainDb = join(fed.dir, 'plain.db');
    const twoStepDb = join(fed.dir, 'two-step.db');
    const initialWeights = zeroModel(FEATURES);

    const plainTrainers = trainers();
    const plain = await runInProcess(fed, fed.coordinatorConfig({ database: plainDb, rounds: 3 }), NODES.map((name, i) => ({ name, trainer: plainTrainers[i]! })), {
      initialWeights,
    });
    const aggregator = new TwoStepAggregator();
    const stepTrainers = trainers();
    const twoStep = await runInProcess(
      fed,
      fed.coordinatorConfig({ database: twoStepDb, rounds: 3 }),
      NODES.map((name, i) => ({ name, trainer: stepTrainers[i]!, aggregation: new TwoStepNodeAggregation() })),
      { initialWeights, aggregator },
    );
    assert.equal(plain.result.status, 'completed');
    assert.equal(twoStep.result.status, 'completed');
    assert.deepEqual(aggregator.stagesSeen, ['fit', 'send-weighted', 'fit', 'send-weighted', 'fit', 'send-weighted']);

    const a = readRun(plainDb);
    const b = readRun(twoStepDb);
    a.checkpoint!.weights.forEach((t, i) => t.forEach((v, j) => assert.ok(Math.abs(v - b.checkpoint!.weights[i]![j]!) < 1e-5, `weight ${i}/${j}: ${v} vs ${b.checkpoint!.weights[i]![j]}`)));
    // Who contributed, with how many samples, is recorded as for plain rounds.
    assert.deepEqual(
      b.results.filter((r) => r.round === 1 && r.phase === 'fit').map((r) => [r.node, r.status, r.num_samples]),
      [['alice', 'accepted', 120], ['bob', 'accepted', 180], ['charlie', 'accepted', 240]],
    );
  });
});
