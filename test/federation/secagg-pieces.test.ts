/**
 * The parts of secure aggregation in the federation that need no network:
 * the coordinator's `aggregation:` config, the task envelope, the update
 * vector layout, and how the node aggregation answers what it cannot do
 * (refusals, never weights in the clear).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PrivmedError } from '../../src/common/errors.js';
import { parseCoordinatorConfig } from '../../src/federation/coordinator/config.js';
import { aggregatorFromConfig } from '../../src/federation/coordinator/aggregator-from-config.js';
import { defaultNodeAggregation } from '../../src/federation/node/default-node-aggregation.js';
import { SecAggNodeAggregation } from '../../src/federation/protocols/secagg/node.js';
import type { ReceivedTask } from '../../src/federation/wire/task.js';
import { decodeRefusal, encodeRefusal } from '../../src/federation/wire/refusal.js';
import {
  decodeSetupEnvelope,
  encodeSetupEnvelope,
  maskedVectorBytes,
  maskedVectorTensor,
  SECAGG_STAGES,
} from '../../src/federation/protocols/secagg/envelope.js';
import { applyMeanUpdate, flattenUpdate } from '../../src/federation/protocols/secagg/update-vector.js';
import { decodeMessageOf, encodeMessage, SecAggServer } from '../../src/secagg/index.js';
import { configError } from './helpers/config-error.js';

const tls = { ca: 'ca.crt', cert: 'c.crt', key: 'c.key' };
const minimal = { tls, allowedNodes: ['alice', 'bob', 'charlie'], database: 'state.db', runName: 'r1', rounds: 3 };


const global = [Float32Array.of(0.5, -1, 2), Float32Array.of(0)];
const specs = [
  { name: 'w', shape: [3] },
  { name: 'b', shape: [1] },
];

function setupTask(params: { vectorLength?: number; maxWeight?: number } = {}, maxUpdateNorm: number | null = null): ReceivedTask {
  const server = new SecAggServer({ roundId: 'r', nodeIds: [1, 2, 3], degree: 2, threshold: 2, vectorLength: params.vectorLength ?? 5, clip: 1, maxWeight: params.maxWeight ?? 1000 });
  return {
    kind: 'fit',
    taskId: 't1',
    round: 4,
    config: {},
    tensors: specs.map((s, i) => ({ ...s, data: global[i]! })),
    stage: SECAGG_STAGES.setup,
    payload: encodeSetupEnvelope({ nodeId: 2, maxUpdateNorm, roster: ['n1', 'n2', 'n3'], setup: server.setupMessage() }),
  };
}

const trained = (delta: number) => global.map((t) => t.map((v) => v + delta));

describe('secure aggregation pieces', () => {
  it('configures the aggregation on the coordinator only, with defaults and checks', () => {
    assert.equal(parseCoordinatorConfig(minimal).aggregation, 'plain');
    assert.equal(aggregatorFromConfig(parseCoordinatorConfig(minimal)).name, 'plain');
    const secure = parseCoordinatorConfig({ ...minimal, aggregation: 'secagg' });
    assert.equal(aggregatorFromConfig(secure).name, 'secagg');
    assert.deepEqual(parseCoordinatorConfig({ ...minimal, aggregation: 'secagg', secagg: {} }).secagg, { clip: 4, stageTimeoutSec: 60 });
    assert.match(configError(() => parseCoordinatorConfig({ ...minimal, secagg: { clip: 1 } })).message, /'secagg': expected secagg settings only with aggregation: secagg/);
    assert.match(configError(() => parseCoordinatorConfig({ ...minimal, aggregation: 'secagg', minNodes: 1 })).message, /'minNodes': expected at least 2 with aggregation: secagg/);
    assert.match(configError(() => parseCoordinatorConfig({ ...minimal, aggregation: 'secure' })).message, /'aggregation': expected one of "plain", "secagg"/);
    assert.match(configError(() => parseCoordinatorConfig({ ...minimal, aggregation: 'secagg', secagg: { clip: 0 } })).message, /'secagg.clip'/);
  });

  it('round-trips the setup envelope, refusals and the masked vector bit for bit', () => {
    const task = setupTask({}, 2.5);
    const envelope = decodeSetupEnvelope(task.payload);
    assert.equal(envelope.nodeId, 2);
    assert.equal(envelope.maxUpdateNorm, 2.5);
    assert.deepEqual(envelope.setup.params.nodeIds, [1, 2, 3]);
    assert.equal(decodeSetupEnvelope(setupTask().payload).maxUpdateNorm, null);

    assert.equal(decodeRefusal(encodeRefusal('no, because')), 'no, because');
    assert.equal(decodeRefusal(task.payload), null);
    assert.equal(decodeRefusal(Buffer.alloc(0)), null);

    // Every bit pattern, NaNs included, survives the float32 tensor.
    const bytes = Uint8Array.from({ length: 4 * 1024 }, (_, i) => (i * 37 + 11) & 0xff);
    bytes.set([0x01, 0x00, 0xc0, 0x7f, 0xff, 0xff, 0xff, 0xff], 0);
    assert.deepEqual(maskedVectorBytes(maskedVectorTensor(bytes)), bytes);
  });

  it('flattens the update with the clipped share and applies the mean update back', () => {
    const update = flattenUpdate(global, [Float32Array.of(0.5, 1, 2.25), Float32Array.of(-3)], 2);
    // One of four coordinates (-3) is beyond the clip (2 is not); the share rides scaled by the clip.
    assert.deepEqual([...update.values], [0, 2, 0.25, -3, 0.25 * 2]);
    assert.equal(update.clippedFraction, 0.25);
    assert.equal(update.norm, Math.sqrt(4 + 0.0625 + 9));
    assert.equal(flattenUpdate(global, [Float32Array.of(0.5, Number.NaN, 2), Float32Array.of(Infinity)], 2).nonFinite, 2);
    assert.throws(() => flattenUpdate(global, [Float32Array.of(1)], 2), PrivmedError);

    const { weights, clippedFraction } = applyMeanUpdate(global, Float64Array.of(0.25, 0.5, -1, 1, 0.2), 2);
    assert.deepEqual(weights.map((w) => [...w]), [[0.75, -0.5, 1], [1]]);
    assert.equal(clippedFraction, 0.1);
  });

  it('answers the setup with its keys, and refuses updates that fail its own checks without sending values', async () => {
    const ok = await new SecAggNodeAggregation().afterFit(setupTask(), { weights: trained(0.1), numSamples: 40, metrics: { loss: 0.3 } });
    assert.equal(ok.tensors, null, 'no weights leave the node at setup');
    assert.equal(ok.numSamples, 0, 'nor its sample count');
    assert.deepEqual(ok.metrics, {});
    assert.equal(decodeMessageOf(Uint8Array.from(ok.payload!), 'advertise-keys').nodeId, 2);

    const logged: string[] = [];
    const node = new SecAggNodeAggregation({ log: (l) => logged.push(l) });
    const refusal = async (task: ReceivedTask, weights: Float32Array[], numSamples = 40) =>
      decodeRefusal((await node.afterFit(task, { weights, numSamples, metrics: {} })).payload!);
    assert.equal(await refusal(setupTask(), [Float32Array.of(Number.NaN, 0, 0), Float32Array.of(0)]), 'the trained weights contain non-finite values');
    assert.equal(await refusal(setupTask({}, 0.5), trained(1)), 'the update norm exceeds validation.maxUpdateNorm (0.5)');
    assert.equal(await refusal(setupTask({ maxWeight: 30 }), trained(0.1)), "the sample count exceeds the round's limit of 30 (validation.maxNumSamples)");
    assert.equal(await refusal(setupTask(), trained(0.1), 0), 'the sample count is not a positive integer');
    assert.equal(await refusal(setupTask({ vectorLength: 9 }), trained(0.1)), 'the round aggregates 9 values, this model gives 5');
    // The details stay in the node's own log.
    assert.match(logged.find((l) => l.includes('maxUpdateNorm'))!, /\(update norm 2\.000\)$/);
  });

  it('refuses protocol steps it has no round for, and never sends weights for an unknown protocol', async () => {
    const node = defaultNodeAggregation();
    const step = (stage: string): ReceivedTask => ({ kind: 'step', taskId: 't', round: 1, config: {}, tensors: null, stage, payload: Buffer.alloc(0) });
    const noRound = await node.step(step(SECAGG_STAGES.maskedInput));
    assert.match(decodeRefusal(noRound.payload!)!, /no secure aggregation round in progress for stage 'secagg\/masked-input'/);
    assert.equal(noRound.tensors, null);

    const secure = new SecAggNodeAggregation();
    await secure.afterFit(setupTask(), { weights: trained(0.1), numSamples: 40, metrics: {} });
    const outOfOrder = await secure.step({ ...step(SECAGG_STAGES.unmask), payload: Buffer.from(encodeMessage({ kind: 'unmask-request', roundId: 'r', survivors: [1, 2], dropped: [] })) });
    assert.match(decodeRefusal(outOfOrder.payload!)!, /received unmask-request in state awaiting-keys/);

    const plainFit = { ...setupTask(), stage: '', payload: Buffer.alloc(0) };
    const plain = await node.afterFit(plainFit, { weights: trained(0.1), numSamples: 40, metrics: { loss: 1 } });
    assert.deepEqual(plain.tensors!.map((t) => t.name), ['w', 'b']);
    assert.equal(plain.numSamples, 40);
    await assert.rejects(node.afterFit({ ...plainFit, stage: 'other/setup' }, { weights: trained(0.1), numSamples: 40, metrics: {} }), /aggregation protocol 'other\/setup', which this node does not know/);
  });
});
