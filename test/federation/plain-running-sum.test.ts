/**
 * Plain aggregation adds each update into a running sum as it arrives and
 * keeps none of them (#18: the coordinator's memory must not hold one update
 * per node). The exchange below calls each task's check as the service does
 * when an upload is complete, then hands the replies back as accepted.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PlainAggregator } from '../../src/federation/protocols/plain/coordinator.js';
import { FedAvg } from '../../src/federation/strategy/fedavg.js';
import { FedAdam } from '../../src/federation/strategy/fedadam.js';
import { WeightedSum, weightedAverageWeights } from '../../src/federation/strategy/weighted-average.js';
import type { FitResult } from '../../src/federation/strategy/types.js';
import type { Exchange } from '../../src/federation/coordinator/exchange.js';
import type { FitRound } from '../../src/federation/coordinator/aggregator.js';
import type { NodeReply } from '../../src/federation/wire/task.js';

const specs = [{ name: 'w', shape: [3] }, { name: 'b', shape: [1] }];

function update(seed: number): Float32Array[] {
  return [Float32Array.from([0.1 * seed, -Math.fround(1 / (seed + 3)), 1e-3 * seed * seed]), Float32Array.from([seed / 7])];
}

describe('plain aggregation keeps a running sum', () => {
  it('drops every update once it is added, and gives the strategy the same model as the individual updates', async () => {
    const nodes = ['alice', 'bob', 'charlie', 'dave'];
    const samples = [120, 7, 300, 45];
    const updates = nodes.map((_, i) => update(i + 1));
    const replies = new Map<string, NodeReply>();
    const exchange: Exchange = async (requests) => {
      for (const [node, spec] of requests) {
        const i = nodes.indexOf(node);
        const reply: NodeReply = {
          tensors: specs.map((s, t) => ({ ...s, data: updates[i]![t]!.slice() })),
          numSamples: samples[i]!,
          metrics: { loss: i + 0.5, ...(i === 0 ? { epsilon: 1.5 } : {}) },
          payload: Buffer.alloc(0),
        };
        assert.equal(spec.check!(reply), null);
        // What the task board keeps until the exchange ends: no update.
        assert.equal(reply.tensors, null, `${node}'s update is still held after it was added`);
        replies.set(node, reply);
      }
      return { replies, failures: [] };
    };
    const round = {
      round: 1,
      attempt: 1,
      fitConfigs: new Map(nodes.map((n) => [n, {}])),
      global: { specs, weights: update(0), encoded: { manifest: { tensors: [], totalBytes: 0 }, payload: Buffer.alloc(0) } },
      deadline: Date.now() + 1000,
      exchange,
      checkUpdate: () => null,
    } as unknown as FitRound;

    const outcome = await new PlainAggregator().runFit(round);
    assert.equal(outcome.results.length, 1, 'one pre-aggregated result');
    assert.deepEqual(outcome.contributors.map((c) => [c.node, c.numSamples]), nodes.map((n, i) => [n, samples[i]]));
    const individual: FitResult[] = nodes.map((node, i) => ({ node, weights: updates[i]!, numSamples: samples[i]!, metrics: { loss: i + 0.5, ...(i === 0 ? { epsilon: 1.5 } : {}) } }));
    const context = { current: update(0), failures: [] };
    const fromSum = new FedAvg().aggregateFit(1, outcome.results, context);
    const fromAll = new FedAvg().aggregateFit(1, individual, context);
    assert.deepEqual(fromSum.weights, fromAll.weights, 'bit for bit the model FedAvg makes from the individual updates');
    assert.equal(fromSum.metrics.numSamples, 472);
    assert.ok(Math.abs(fromSum.metrics.loss! - fromAll.metrics.loss!) < 1e-12);
    assert.equal(fromSum.metrics.epsilon, 1.5, 'a metric only one node reports is averaged over that node');
    // FedAdam steps from the same average.
    assert.deepEqual(new FedAdam().aggregateFit(1, outcome.results, context).weights, new FedAdam().aggregateFit(1, individual, context).weights);
  });

  it('a refused update is not added', async () => {
    const exchange: Exchange = async (requests) => {
      const replies = new Map<string, NodeReply>();
      for (const [node, spec] of requests) {
        const reply: NodeReply = { tensors: specs.map((s, t) => ({ ...s, data: update(node === 'bad' ? 9 : 1)[t]! })), numSamples: 10, metrics: {}, payload: Buffer.alloc(0) };
        if (spec.check!(reply) === null) replies.set(node, reply);
      }
      return { replies, failures: [] };
    };
    const round = {
      round: 1,
      attempt: 1,
      fitConfigs: new Map([['good', {}], ['bad', {}]]),
      global: { specs, weights: update(0), encoded: { manifest: { tensors: [], totalBytes: 0 }, payload: Buffer.alloc(0) } },
      deadline: Date.now() + 1000,
      exchange,
      checkUpdate: (tensors: { data: Float32Array }[]) => (tensors[1]!.data[0]! > 1 ? 'too far from the global model' : null),
    } as unknown as FitRound;
    const outcome = await new PlainAggregator().runFit(round);
    assert.deepEqual(outcome.results[0]!.weights, update(1));
    assert.equal(outcome.results[0]!.numSamples, 10);
  });

  it('WeightedSum refuses tensors of the wrong length and an empty sum', () => {
    const sum = new WeightedSum([3, 1]);
    assert.throws(() => sum.mean(), /no results with a positive sample count/);
    assert.throws(() => sum.add([new Float32Array(2), new Float32Array(1)], 1, {}), /tensor 0: 2 values, expected 3/);
    assert.throws(() => weightedAverageWeights([]), /no results/);
  });
});
