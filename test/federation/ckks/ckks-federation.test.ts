/**
 * `aggregation: ckks` in the real federation (coordinator and nodes in this
 * process, gRPC over mutual TLS on loopback): key setup among the nodes, two
 * rounds of encrypted FedAvg, evaluation of the model the nodes decoded. The
 * nodes agree on the global model, it is FedAvg of their updates within the
 * CKKS bound, and no coordinator file holds a weight, an update or the model.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCoordinatorConfig } from '../../../src/federation/coordinator/config.js';
import { defaultNodeAggregation } from '../../../src/federation/node/default-node-aggregation.js';
import type { NodeAggregation } from '../../../src/federation/node/node-aggregation.js';
import { readGlobalModel } from '../../../src/federation/protocols/ckks/global-model.js';
import { makeFederation, type Federation } from '../helpers/federation-setup.js';
import { runInProcess } from '../helpers/in-process.js';
import { checkpointOf, fitMetricsJson } from '../helpers/secagg-db.js';
import { configError } from '../helpers/config-error.js';
import { LogisticTrainer, scoreModel, zeroModel } from '../fixtures/logistic-trainer.js';
import { fedAvgOf, maxAbsDiff, RecordingTrainer } from '../fixtures/recording-trainer.js';
import { FEATURES, nodeData } from '../fixtures/synthetic-data.js';

const NODES = ['alice', 'bob', 'charlie'];
const ROUNDS = 2;
const TRAIN_SIZES = [120, 180, 240];
// The CKKS decryption bound (docs/he.md) on the weighted sum, divided by the weight sum (540 / 100,000), plus float32 rounding.
const TOLERANCE = 2 ** -24 / (540 / 100_000) + 2 ** -20;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

// SEAL's key generation and encryption block the one event loop that all parties share here: no heartbeat meanwhile.
const SLOW = { roundTimeoutSec: 120, heartbeatIntervalSec: 0.5, heartbeatTimeoutSec: 60 };

const f32 = (values: ArrayLike<number>): Buffer => Buffer.from(Float32Array.from(values as number[]).buffer);

describe('CKKS aggregation in the federation', () => {
  let fed: Federation;
  let nodeRoot: string;
  const nodeAggregation = (name: string, stateDir: string): NodeAggregation => {
    const tls = fed.nodeConfig(name, '127.0.0.1:1').tls!;
    const credentials = { name, certPem: readFileSync(tls.cert, 'utf8'), keyPem: readFileSync(tls.key, 'utf8'), caPem: readFileSync(tls.ca, 'utf8') };
    return defaultNodeAggregation({ credentials, stateDir });
  };
  before(async () => {
    fed = await makeFederation(NODES);
    nodeRoot = mkdtempSync(join(tmpdir(), 'privmed-ckks-nodes-'));
  });
  after(() => {
    fed.cleanup();
    rmSync(nodeRoot, { recursive: true, force: true });
  });

  it('trains FedAvg under a threshold key: the nodes agree on the model, the coordinator stores no weight of it', async () => {
    const db = join(fed.dir, 'ckks.db');
    const trainers = NODES.map((_, i) => new RecordingTrainer(new LogisticTrainer(nodeData(i, TRAIN_SIZES[i]).train, nodeData(i).val, { seed: i })));
    const aggregations = new Map<string, NodeAggregation>();
    const nodes = NODES.map((name, i) => {
      const aggregation = nodeAggregation(name, join(nodeRoot, name));
      aggregations.set(name, aggregation);
      return { name, trainer: trainers[i]!, aggregation };
    });
    const run = await runInProcess(
      fed,
      fed.coordinatorConfig({ rounds: ROUNDS, database: db, aggregation: 'ckks', ckks: { stageTimeoutSec: 120 }, ...SLOW, keepCheckpoints: 'all' }),
      nodes,
      { initialWeights: zeroModel(FEATURES) },
    );
    assert.equal(run.result.status, 'completed', run.result.message);

    const models: Float32Array[][][] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const decoded = NODES.map((name) => readGlobalModel(join(nodeRoot, name), round));
      for (const d of decoded.slice(1)) assert.deepEqual(d, decoded[0], `round ${round}: every node decoded the same model`);
      const fits = trainers.map((t) => t.fits.find((f) => f.round === round)!);
      // Round 2 trained from the model of round 1 that the nodes decoded (the fit task carried none).
      if (round > 1) for (const f of fits) assert.ok(maxAbsDiff(f.global, models[round - 2]![0]!) === 0, `round ${round}: trained from the decoded model`);
      const error = maxAbsDiff(decoded[0]!, fedAvgOf(fits));
      assert.ok(error <= TOLERANCE, `round ${round}: |decoded - FedAvg of the updates| = ${error}`);
      models.push(decoded);
    }
    assert.ok(maxAbsDiff(models[0]![0]!, zeroModel(FEATURES).map((t) => t.data)) > 0.01, 'round 1 moved the model');
    assert.ok(maxAbsDiff(models[1]![0]!, models[0]![0]!) > 1e-4, 'round 2 moved it again');
    assert.deepEqual(aggregations.get('bob')!.globalWeights!(), models[1]![0], 'the node evaluates and trains from its last decoded model');

    // The nodes evaluated the model they decoded: the coordinator got metrics without ever sending weights.
    const completed = run.events.filter((e) => e.type === 'round-completed');
    assert.equal(completed.length, ROUNDS);
    for (const [i, e] of completed.entries()) {
      assert.equal(e.evalMetrics?.nodes, NODES.length);
      assert.equal(e.fitMetrics.ckksNodesWithModel, NODES.length);
      // ...as a secure sum (#12): the federation's accuracy is that of the decoded model on the union of the validation sets.
      const vals = NODES.map((_, k) => nodeData(k).val);
      const union = vals.map((v) => scoreModel(models[i]![0]!, v));
      const correct = union.reduce((s, u) => s + u.tp + u.tn, 0) / vals.reduce((s, v) => s + v.n, 0);
      assert.ok(Math.abs(e.evalMetrics!.accuracy! - correct) < 1e-9, `round ${i + 1}: accuracy ${e.evalMetrics!.accuracy} vs ${correct}`);
    }
    assert.deepEqual(fitMetricsJson(db, 'evaluate'), [null], 'no node\'s evaluation metrics at the coordinator');

    // The coordinator keeps round 0 (the public initial model) and no later checkpoint...
    assert.deepEqual(checkpointOf(db, 0), zeroModel(FEATURES).map((t) => t.data));
    assert.throws(() => checkpointOf(db, 1), /no checkpoint for round 1/);
    // ...and none of its files (database, ciphertext sums) holds a node's weights, update, or the decoded model.
    const coordinatorBytes = Buffer.concat(files(fed.dir).map((f) => readFileSync(f)));
    const secrets = trainers.flatMap((t) =>
      t.fits.flatMap((fit) => [f32(fit.weights[0]!), f32(fit.weights[0]!.map((v, i) => v - fit.global[0]![i]!))]),
    );
    for (const m of models) secrets.push(f32(m[0]![0]!));
    secrets.forEach((s, i) => assert.equal(coordinatorBytes.indexOf(s), -1, `plaintext ${i} found in the coordinator's files`));
    assert.ok(files(fed.dir).some((f) => /ckks-.*sum-0\.bin$/.test(f)), 'the coordinator persisted its ciphertext sums');
  });

  it('completes a round without a node that refuses its own update; that node still decodes the model', async () => {
    const db = join(fed.dir, 'refusal.db');
    const root = join(nodeRoot, 'refusal');
    // bob's update is blown up beyond the norm bound; only bob can see that under encryption.
    const blowUp = (w: Float32Array[], g: Float32Array[]) => w.map((t, ti) => t.map((v, i) => g[ti]![i]! + 1000 * (v - g[ti]![i]!)));
    const trainers = NODES.map(
      (name, i) => new RecordingTrainer(new LogisticTrainer(nodeData(i, TRAIN_SIZES[i]).train, nodeData(i).val, { seed: i }), { distort: name === 'bob' ? blowUp : undefined }),
    );
    const run = await runInProcess(
      fed,
      fed.coordinatorConfig({ rounds: 1, minNodes: 2, minAvailableNodes: 3, database: db, aggregation: 'ckks', validation: { maxUpdateNorm: 50 }, maxRoundAttempts: 1, ...SLOW }),
      NODES.map((name, i) => ({ name, trainer: trainers[i]!, aggregation: nodeAggregation(name, join(root, name)) })),
      { initialWeights: zeroModel(FEATURES) },
    );
    assert.equal(run.result.status, 'completed', run.result.message);
    const refused = run.events.find((e) => e.type === 'result' && e.phase === 'fit' && e.node === 'bob');
    assert.ok(refused && refused.type === 'result' && refused.status === 'rejected' && /update norm exceeds validation.maxUpdateNorm \(50\)/.test(refused.reason ?? ''), JSON.stringify(refused));
    const decoded = NODES.map((name) => readGlobalModel(join(root, name), 1));
    for (const d of decoded.slice(1)) assert.deepEqual(d, decoded[0]);
    const others = [0, 2].map((i) => trainers[i]!.fits[0]!);
    assert.ok(maxAbsDiff(decoded[0]!, fedAvgOf(others)) <= 2 ** -24 / (360 / 100_000) + 2 ** -20, 'FedAvg of alice and charlie only');
  });

  it('refuses a non-linear strategy under ckks when the config is read', () => {
    const error = configError(() =>
      parseCoordinatorConfig(fed.coordinatorConfig({ aggregation: 'ckks', strategy: { name: 'fedadam' } })),
    );
    assert.match(error.message, /'fedadam' cannot run under aggregation: ckks .*use fedavg or fedprox/);
    assert.equal(parseCoordinatorConfig(fed.coordinatorConfig({ aggregation: 'ckks', strategy: { name: 'fedprox', mu: 0.1 } })).strategy.name, 'fedprox');
  });
});
