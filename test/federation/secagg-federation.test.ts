/**
 * Secure aggregation in the real federation (coordinator and nodes in this
 * process, gRPC over mutual TLS): `aggregation: secagg` trains the same
 * model as plain FedAvg up to the quantisation bound, the coordinator's
 * database and events hold no node's update or sample count, node-side
 * checks refuse bad updates before masking, and a round that falls below
 * the threshold fails with the reason.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CoordinatorEvent } from '../../src/federation/coordinator/events.js';
import { defaultNodeAggregation } from '../../src/federation/node/default-node-aggregation.js';
import type { NodeAggregation } from '../../src/federation/node/node-aggregation.js';
import { SECAGG_STAGES } from '../../src/federation/protocols/secagg/envelope.js';
import { decodeMessageOf, encodeMessage } from '../../src/secagg/index.js';
import { makeFederation, type Federation } from './helpers/federation-setup.js';
import { runInProcess } from './helpers/in-process.js';
import { nodeCredentials } from './helpers/node-credentials.js';
import { readRun } from './helpers/run-db.js';
import { checkpointOf, fitMetricsJson } from './helpers/secagg-db.js';
import { LogisticTrainer, scoreModel, zeroModel } from './fixtures/logistic-trainer.js';
import { fedAvgOf, maxAbsDiff, RecordingTrainer, type RecordingOptions } from './fixtures/recording-trainer.js';
import { FEATURES, nodeData, testData } from './fixtures/synthetic-data.js';

const NODES = ['alice', 'bob', 'charlie'];
const ROUNDS = 3;
// Different data sizes, so that the weighting matters; the counts must never reach the coordinator.
const TRAIN_SIZES = [120, 180, 240];
const FLOAT32_SLACK = 2 ** -20; // float32 rounding of weights of magnitude < 8

function recordingTrainers(distort: Partial<Record<string, RecordingOptions['distort']>> = {}): RecordingTrainer[] {
  return NODES.map(
    (name, i) => new RecordingTrainer(new LogisticTrainer(nodeData(i, TRAIN_SIZES[i]).train, nodeData(i).val, { seed: i }), { distort: distort[name] }),
  );
}

function fitMetricsOf(events: CoordinatorEvent[]): Map<number, Record<string, number>> {
  const out = new Map<number, Record<string, number>>();
  for (const e of events) if (e.type === 'round-completed') out.set(e.round, e.fitMetrics);
  return out;
}

describe('secure aggregation in the federation', () => {
  let fed: Federation;
  before(async () => {
    fed = await makeFederation(NODES);
  });
  after(() => fed.cleanup());

  it('trains the same model as plain FedAvg within the quantisation bound, and stores no node update or count', async () => {
    const initialWeights = zeroModel(FEATURES);
    const plainDb = join(fed.dir, 'plain.db');
    const secureDb = join(fed.dir, 'secure.db');
    const common = { rounds: ROUNDS, keepCheckpoints: 'all' as const };

    // The same node setup (defaultNodeAggregation) serves both: the coordinator alone decides.
    const plainTrainers = recordingTrainers();
    const plain = await runInProcess(
      fed,
      fed.coordinatorConfig({ ...common, database: plainDb }),
      NODES.map((name, i) => ({ name, trainer: plainTrainers[i]!, aggregation: defaultNodeAggregation({ credentials: nodeCredentials(fed, name) }) })),
      { initialWeights },
    );
    const secureTrainers = recordingTrainers();
    const secure = await runInProcess(
      fed,
      fed.coordinatorConfig({ ...common, database: secureDb, aggregation: 'secagg', secagg: { clip: 8, stageTimeoutSec: 10 } }),
      NODES.map((name, i) => ({ name, trainer: secureTrainers[i]!, aggregation: defaultNodeAggregation({ credentials: nodeCredentials(fed, name) }) })),
      { initialWeights },
    );
    assert.equal(plain.result.status, 'completed', plain.result.message);
    assert.equal(secure.result.status, 'completed', secure.result.message);

    const a = readRun(plainDb);
    const b = readRun(secureDb);
    const metrics = fitMetricsOf(secure.events);
    for (let round = 1; round <= ROUNDS; round++) {
      const m = metrics.get(round)!;
      assert.equal(m.secaggDropped, 0);
      assert.equal(m.secaggClippedFraction, 0, 'no update coordinate beyond the clip');
      assert.ok(m.secaggErrorBound! > 0 && m.secaggErrorBound! < 1e-5, `error bound ${m.secaggErrorBound}`);
      // The total count is the one aggregate the coordinator learns (exact: its quantisation error is < 0.5).
      assert.equal(m.numSamples, 540);
      // Exactly FedAvg of what the nodes trained this round, up to the reported bound.
      const fits = secureTrainers.map((t) => t.fits.find((f) => f.round === round)!);
      const checkpoint = checkpointOf(secureDb, round);
      const error = maxAbsDiff(checkpoint, fedAvgOf(fits));
      assert.ok(error <= m.secaggErrorBound! + FLOAT32_SLACK, `round ${round}: |secure - FedAvg of the updates| = ${error}, bound ${m.secaggErrorBound}`);
    }
    // And the model plain FedAvg trains: the per-round errors only propagate through local training.
    const drift = maxAbsDiff(a.checkpoint!.weights, b.checkpoint!.weights);
    assert.ok(drift < 5e-5, `final models differ by ${drift}`);
    assert.equal(scoreModel(b.checkpoint!.weights, testData()).accuracy, scoreModel(a.checkpoint!.weights, testData()).accuracy);

    // What the coordinator stored: plain rounds record each node's count (the control), secure rounds none.
    const fitRows = (db: typeof a) => db.results.filter((r) => r.phase === 'fit');
    assert.deepEqual(fitRows(a).filter((r) => r.round === 1).map((r) => r.num_samples), TRAIN_SIZES);
    assert.equal(fitRows(b).length, NODES.length * ROUNDS);
    for (const r of fitRows(b)) {
      assert.equal(r.status, 'accepted');
      assert.equal(r.num_samples, null, `${r.node} round ${r.round}: no individual sample count`);
    }
    assert.deepEqual(fitMetricsJson(secureDb), ['{}'], 'no per-node fit metrics either');
    // Evaluation is a secure sum too (#18 item 9): no node's metrics stored, the federation's equal plain aggregation's.
    assert.deepEqual(fitMetricsJson(secureDb, 'evaluate'), [null], 'no per-node evaluation metrics');
    assert.ok(fitMetricsJson(plainDb, 'evaluate').every((m) => m !== null && 'accuracy' in JSON.parse(m)), 'plain: per-node metrics (the control)');
    const evals = (events: CoordinatorEvent[]) => events.flatMap((e) => (e.type === 'round-completed' && e.evalMetrics ? [e.evalMetrics] : []));
    const [plainEval, secureEval] = [evals(plain.events), evals(secure.events)];
    assert.equal(secureEval.length, ROUNDS);
    secureEval.forEach((m, i) => {
      assert.equal(m.nodes, NODES.length);
      assert.equal(m.numSamples, plainEval[i]!.numSamples);
      for (const k of ['accuracy', 'loss']) assert.ok(Math.abs(m[k]! - plainEval[i]![k]!) < 1e-3, `round ${i + 1} ${k}: secure ${m[k]} vs plain ${plainEval[i]![k]}`);
    });
    // No node's trained weights (or update), byte for byte, anywhere in the database files.
    const dbBytes = Buffer.concat([secureDb, `${secureDb}-wal`].filter(existsSync).map((f) => readFileSync(f)));
    for (const t of secureTrainers) {
      for (const fit of t.fits) {
        const kernel = Buffer.from(Float32Array.from(fit.weights[0]!).buffer);
        const update = Buffer.from(Float32Array.from(fit.weights[0]!.map((v, i) => v - fit.global[0]![i]!)).buffer);
        assert.equal(dbBytes.indexOf(kernel), -1, `round ${fit.round}: a node's weights are in the database`);
        assert.equal(dbBytes.indexOf(update), -1, `round ${fit.round}: a node's update is in the database`);
      }
    }
    // Events carry no per-node fit numbers; round metrics only aggregates.
    for (const e of secure.events) {
      if (e.type === 'result' && e.phase === 'fit') assert.deepEqual(Object.keys(e).sort(), ['attempt', 'node', 'phase', 'round', 'status', 'type']);
      if (e.type === 'round-completed') assert.deepEqual(Object.keys(e.fitMetrics).sort(), ['nodes', 'numSamples', 'secaggClippedFraction', 'secaggDropped', 'secaggErrorBound']);
    }
  });

  it('lets a node refuse an update that fails its own checks, and completes the round without it', async () => {
    const db = join(fed.dir, 'norm.db');
    // bob's update is blown up far beyond the norm bound the coordinator sets; only bob can see that.
    const trainers = recordingTrainers({ bob: (w, g) => w.map((t, ti) => t.map((v, i) => g[ti]![i]! + 1000 * (v - g[ti]![i]!))) });
    const run = await runInProcess(
      fed,
      fed.coordinatorConfig({ rounds: 1, minNodes: 2, minAvailableNodes: 3, maxRoundAttempts: 1, database: db, aggregation: 'secagg', validation: { maxUpdateNorm: 50 }, keepCheckpoints: 'all' }),
      NODES.map((name, i) => ({ name, trainer: trainers[i]!, aggregation: defaultNodeAggregation({ credentials: nodeCredentials(fed, name) }) })),
      { initialWeights: zeroModel(FEATURES) },
    );
    assert.equal(run.result.status, 'completed', run.result.message);
    assert.ok(run.nodes.every((n) => !(n instanceof Error)), 'every node process carried on');
    const { results } = readRun(db);
    const bob = results.find((r) => r.node === 'bob' && r.phase === 'fit')!;
    assert.equal(bob.status, 'rejected');
    assert.equal(bob.message, 'secagg/setup: the node refused: the update norm exceeds validation.maxUpdateNorm (50)');
    const expected = fedAvgOf([trainers[0]!.fits[0]!, trainers[2]!.fits[0]!]);
    assert.ok(maxAbsDiff(checkpointOf(db, 1), expected) < 1e-5, 'round 1 is the FedAvg of alice and charlie');
  });

  it("refuses a node's message that claims another node's id", async () => {
    const db = join(fed.dir, 'impostor.db');
    // charlie (id 3) advertises its keys as alice (id 1): the coordinator must check ids against the mTLS session.
    const honest = defaultNodeAggregation({ credentials: nodeCredentials(fed, 'charlie') });
    const impostor: NodeAggregation = {
      async afterFit(task, output) {
        const reply = await honest.afterFit(task, output);
        const keys = decodeMessageOf(Uint8Array.from(reply.payload!), 'advertise-keys');
        return { ...reply, payload: Buffer.from(encodeMessage({ ...keys, nodeId: 1 })) };
      },
      step: (task) => honest.step(task),
    };
    const trainers = recordingTrainers();
    const run = await runInProcess(
      fed,
      fed.coordinatorConfig({ rounds: 1, minNodes: 2, minAvailableNodes: 3, maxRoundAttempts: 1, database: db, aggregation: 'secagg', keepCheckpoints: 'all' }),
      NODES.map((name, i) => ({ name, trainer: trainers[i]!, aggregation: name === 'charlie' ? impostor : defaultNodeAggregation({ credentials: nodeCredentials(fed, name) }) })),
      { initialWeights: zeroModel(FEATURES) },
    );
    assert.equal(run.result.status, 'completed', run.result.message);
    const { results } = readRun(db);
    assert.deepEqual(results.filter((r) => r.phase === 'fit').map((r) => [r.node, r.status, r.message]), [
      ['alice', 'accepted', null],
      ['bob', 'accepted', null],
      ['charlie', 'rejected', 'secagg/setup: secure aggregation: charlie sent a message as node 1, its id this round is 3'],
    ]);
    assert.ok(maxAbsDiff(checkpointOf(db, 1), fedAvgOf([trainers[0]!.fits[0]!, trainers[1]!.fits[0]!])) < 1e-5);
  });

  it('logs why a node refused mid-protocol, and completes the round with the others', async () => {
    const db = join(fed.dir, 'tampered.db');
    // A share addressed to bob is altered on its way: bob's client detects it and refuses to mask.
    const honest = defaultNodeAggregation({ credentials: nodeCredentials(fed, 'bob') });
    const tamperedInbox: NodeAggregation = {
      afterFit: (task, output) => honest.afterFit(task, output),
      step(task) {
        if (task.stage !== SECAGG_STAGES.maskedInput) return honest.step(task);
        const forwarded = decodeMessageOf(Uint8Array.from(task.payload), 'forwarded-shares');
        forwarded.shares[0]!.ciphertext[0]! ^= 1;
        return honest.step({ ...task, payload: Buffer.from(encodeMessage(forwarded)) });
      },
    };
    const trainers = recordingTrainers();
    const run = await runInProcess(
      fed,
      fed.coordinatorConfig({ rounds: 1, minNodes: 2, minAvailableNodes: 3, maxRoundAttempts: 1, database: db, aggregation: 'secagg', keepCheckpoints: 'all' }),
      NODES.map((name, i) => ({ name, trainer: trainers[i]!, aggregation: name === 'bob' ? tamperedInbox : defaultNodeAggregation({ credentials: nodeCredentials(fed, name) }) })),
      { initialWeights: zeroModel(FEATURES) },
    );
    assert.equal(run.result.status, 'completed', run.result.message);
    const bob = readRun(db).results.find((r) => r.node === 'bob' && r.phase === 'fit')!;
    assert.equal(bob.status, 'rejected');
    assert.match(bob.message!, /^secagg\/masked-input: the node refused: secure aggregation: .*(authentic|tamper)/i);
    // bob shared keys but sent no input: its masks are removed, its update is not in the sum.
    assert.equal(fitMetricsOf(run.events).get(1)!.secaggDropped, 1);
    const expected = fedAvgOf([trainers[0]!.fits[0]!, trainers[2]!.fits[0]!]);
    assert.ok(maxAbsDiff(checkpointOf(db, 1), expected) < 1e-5, 'round 1 is the FedAvg of alice and charlie');
  });

  it('fails the attempt with the reason when fewer nodes than the threshold remain', async () => {
    const db = join(fed.dir, 'threshold.db');
    const nan = (w: Float32Array[]) => w.map((t) => t.map(() => Number.NaN));
    const trainers = recordingTrainers({ alice: nan, charlie: nan });
    const run = await runInProcess(
      fed,
      fed.coordinatorConfig({ rounds: 1, minNodes: 2, minAvailableNodes: 3, maxRoundAttempts: 1, database: db, aggregation: 'secagg' }),
      NODES.map((name, i) => ({ name, trainer: trainers[i]!, aggregation: defaultNodeAggregation({ credentials: nodeCredentials(fed, name) }) })),
      { initialWeights: zeroModel(FEATURES) },
    );
    assert.equal(run.result.status, 'failed');
    assert.match(run.result.message, /secure aggregation: only 1 nodes advertised keys, threshold is 2/);
    assert.match(run.result.message, /alice rejected \(secagg\/setup: the node refused: the trained weights contain non-finite values\)/);
    assert.ok(run.nodes.every((n) => !(n instanceof Error)), 'the nodes refused without failing');
    const { rounds } = readRun(db);
    assert.deepEqual(rounds.map((r) => r.status), ['failed']);
  });
});
