import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSecAggRound } from '../../src/secagg/driver.js';
import { weightedMean } from '../../src/secagg/server.js';
import { chooseGraphParameters } from '../../src/secagg/graph-parameters.js';
import { encodeMessage } from '../../src/secagg/wire.js';
import type { SecAggParams } from '../../src/secagg/messages.js';
import { ids, makeParams, seededRandom } from './helpers.js';

test('sample-count weights stay inside the masked sum and give the weighted mean (FedAvg)', () => {
  const params = makeParams({ nodeIds: [11, 22, 33], threshold: 2, vectorLength: 3, clip: 1, maxWeight: 1000 });
  const updates = new Map([
    [11, { values: [0.1, -0.2, 0.3], weight: 100 }],
    [22, { values: [0.5, 0.5, -0.5], weight: 300 }],
    [33, { values: [-1, 0, 1], weight: 600 }],
  ]);
  const { result } = runSecAggRound({ params, inputs: (id) => updates.get(id)!, random: seededRandom('fedavg') });
  assert.ok(Math.abs(result.weightSum - 1000) <= result.errorBound.weight);
  const mean = weightedMean(result);
  const expected = [0, 1, 2].map((i) => [...updates.values()].reduce((s, u) => s + u.weight * u.values[i]!, 0) / 1000);
  mean.forEach((m, i) => assert.ok(Math.abs(m - expected[i]!) < 1e-5, `coordinate ${i}: ${m} vs ${expected[i]}`));
});

test('small vectors of dataset statistics (DP histograms) aggregate through the same API, exactly after rounding', () => {
  const bins = 8;
  const nodeIds = ids(7);
  const params = makeParams({ nodeIds, threshold: 4, vectorLength: bins, clip: 10_000, maxWeight: 1 });
  const histograms = new Map(nodeIds.map((id) => [id, Array.from({ length: bins }, (_, b) => ((id * 37 + b * 101) % 500) - (b === 3 ? 3 : 0))]));
  const { result } = runSecAggRound({
    params,
    inputs: (id) => ({ values: histograms.get(id)! }), // noisy counts may be negative; weight 1 counts contributors
    dropouts: { unmasking: [7] },
    random: seededRandom('histogram'),
  });
  assert.ok(result.errorBound.value < 0.5, 'rounding the sum recovers integer counts exactly');
  const expected = Array.from({ length: bins }, (_, b) => nodeIds.reduce((s, id) => s + histograms.get(id)![b]!, 0));
  assert.deepEqual([...result.sum].map(Math.round), expected);
  assert.equal(Math.round(result.weightSum), 7);
});

test('each node sends at most 1.1x the bytes of a plain float32 upload', () => {
  const d = 100_000;
  for (const n of [3, 10]) {
    const { degree, threshold } = chooseGraphParameters(n);
    const params: SecAggParams = { roundId: 'bytes', nodeIds: ids(n), degree, threshold, vectorLength: d, clip: 1, maxWeight: 1 };
    const values = new Float32Array(d).fill(0.01);
    const report = runSecAggRound({ params, inputs: () => ({ values }), random: seededRandom('bytes') });
    const plain = encodeMessage({ kind: 'masked-input', roundId: 'bytes', nodeId: 1, maskedVector: new Uint8Array(4 * d) }).length;
    for (const [id, sent] of report.bytes.sentByNode) assert.ok(sent <= 1.1 * plain, `n=${n}, node ${id}: ${sent} bytes vs plain ${plain}`);
  }
});
