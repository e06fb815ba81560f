import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FedAvg, selectNodes } from '../../src/federation/strategy/fedavg.js';
import { FedProx } from '../../src/federation/strategy/fedprox.js';
import { FedAdam } from '../../src/federation/strategy/fedadam.js';
import { aggregateEvaluationMetrics, matthewsCorrelation } from '../../src/federation/strategy/evaluation-metrics.js';
import { checkUpdate } from '../../src/federation/strategy/update-validation.js';
import type { FitResult } from '../../src/federation/strategy/types.js';

const f32 = (...v: number[]) => Float32Array.from(v);
const result = (node: string, numSamples: number, w: number[], b: number, loss = 0): FitResult => ({
  node,
  numSamples,
  weights: [f32(...w), f32(b)],
  metrics: { loss },
});
const close = (actual: ArrayLike<number>, expected: number[], eps = 1e-6) =>
  expected.forEach((e, i) => assert.ok(Math.abs(actual[i]! - e) < eps, `index ${i}: ${actual[i]} vs ${e}`));

describe('FedAvg', () => {
  it('averages weights and metrics weighted by sample count', () => {
    const agg = new FedAvg().aggregateFit(1, [result('a', 100, [1, 2], 0, 1), result('b', 300, [5, -2], 4, 3)], { current: [], failures: [] });
    close(agg.weights[0]!, [4, -1]); // (100*1 + 300*5)/400, (100*2 - 300*2)/400
    close(agg.weights[1]!, [3]);
    assert.equal(agg.metrics.loss, 2.5);
    assert.equal(agg.metrics.numSamples, 400);
  });

  it('sends the configured fit settings and the round to every selected node', () => {
    const configs = new FedAvg({ fitConfig: { localEpochs: 2, learningRate: 0.1 } }).configureFit(3, ['bob', 'alice']);
    assert.deepEqual([...configs], [
      ['alice', { localEpochs: 2, learningRate: 0.1, round: 3 }],
      ['bob', { localEpochs: 2, learningRate: 0.1, round: 3 }],
    ]);
  });

  it('selects a rotating fraction of the nodes, the same for the same round', () => {
    const nodes = ['a', 'b', 'c', 'd'];
    assert.deepEqual(selectNodes(1, nodes, 0.5), ['a', 'b']);
    assert.deepEqual(selectNodes(2, nodes, 0.5), ['c', 'd']);
    assert.deepEqual(selectNodes(2, [...nodes].reverse(), 0.5), ['c', 'd']);
    assert.deepEqual(selectNodes(1, nodes, 0.01), ['a']);
  });
});

describe('FedProx', () => {
  it('passes mu to the nodes and aggregates like FedAvg', () => {
    const prox = new FedProx({ mu: 0.01, fitConfig: { localEpochs: 1 } });
    assert.deepEqual(prox.configureFit(1, ['a']).get('a'), { localEpochs: 1, proximalMu: 0.01, round: 1 });
    const results = [result('a', 1, [1, 1], 1), result('b', 3, [3, 3], 3)];
    assert.deepEqual(prox.aggregateFit(1, results, { current: [], failures: [] }).weights, new FedAvg().aggregateFit(1, results, { current: [], failures: [] }).weights);
    assert.throws(() => new FedProx({ mu: -1 }), /mu must be >= 0/);
  });
});

describe('FedAdam', () => {
  it('applies Adam to the pseudo-gradient (average minus current)', () => {
    const adam = new FedAdam({ eta: 0.1, beta1: 0.9, beta2: 0.99, tau: 1e-3 });
    const current = [f32(0, 0), f32(0)];
    const next = adam.aggregateFit(1, [result('a', 1, [1, -2], 0.5)], { current, failures: [] }).weights;
    // m = 0.1*delta, v = 0.01*delta^2  =>  step = 0.1 * 0.1*delta / (0.1*|delta| + 1e-3)
    const step = (d: number) => (0.1 * 0.1 * d) / (0.1 * Math.abs(d) + 1e-3);
    close(next[0]!, [step(1), step(-2)], 1e-6);
    close(next[1]!, [step(0.5)], 1e-6);
  });

  it('continues identically after its state is saved and restored (coordinator restart)', () => {
    const rounds = [[1, 2], [2, 1], [0.5, 0.5]].map(([w, b]) => [result('a', 1, [w!, -w!], b!)]);
    const straight = new FedAdam();
    let x: Float32Array[] = [f32(0, 0), f32(0)];
    for (const r of rounds) x = straight.aggregateFit(1, r, { current: x, failures: [] }).weights;

    const first = new FedAdam();
    let y: Float32Array[] = [f32(0, 0), f32(0)];
    y = first.aggregateFit(1, rounds[0]!, { current: y, failures: [] }).weights;
    const saved = first.saveState()!;
    const resumed = new FedAdam();
    resumed.loadState({ json: JSON.parse(JSON.stringify(saved.json)), tensors: saved.tensors.map((t) => Float32Array.from(t)) });
    for (const r of rounds.slice(1)) y = resumed.aggregateFit(1, r, { current: y, failures: [] }).weights;
    assert.deepEqual(y, x);
  });
});

describe('federated evaluation metrics', () => {
  it('computes MCC from the summed confusion counts, not as a mean of node MCCs', () => {
    const a = { node: 'a', numSamples: 100, metrics: { tp: 40, fp: 10, tn: 45, fn: 5, loss: 0.2 } };
    const b = { node: 'b', numSamples: 50, metrics: { tp: 5, fp: 0, tn: 40, fn: 5, loss: 0.4 } };
    const m = aggregateEvaluationMetrics([a, b]);
    assert.equal(m.tp, 45);
    assert.equal(m.accuracy, 130 / 150);
    assert.ok(Math.abs(m.mcc! - matthewsCorrelation(45, 10, 85, 10)) < 1e-12);
    assert.ok(Math.abs(m.loss! - (100 * 0.2 + 50 * 0.4) / 150) < 1e-12);
    const meanOfMccs = (matthewsCorrelation(40, 10, 45, 5) + matthewsCorrelation(5, 0, 40, 5)) / 2;
    assert.notEqual(m.mcc, meanOfMccs);
  });

  it('knows the MCC of reference confusion matrices', () => {
    assert.equal(matthewsCorrelation(10, 0, 10, 0), 1);
    assert.equal(matthewsCorrelation(0, 10, 0, 10), -1);
    assert.equal(matthewsCorrelation(10, 10, 0, 0), 0);
    assert.ok(Math.abs(matthewsCorrelation(6, 1, 3, 2) - 0.478091) < 1e-6);
  });

  it('falls back to weighted means when a node reports no counts', () => {
    const m = aggregateEvaluationMetrics([
      { node: 'a', numSamples: 1, metrics: { mcc: 0.5 } },
      { node: 'b', numSamples: 3, metrics: { mcc: 0.9, tp: 1, fp: 1, tn: 1, fn: 1 } },
    ]);
    assert.ok(Math.abs(m.mcc! - 0.8) < 1e-12);
  });
});

describe('update validation', () => {
  const specs = [{ name: 'k', shape: [2] }, { name: 'b', shape: [1] }];
  const global = [f32(0, 0), f32(0)];
  const update = (k: number[], b: number) => [{ name: 'k', shape: [2], data: f32(...k) }, { name: 'b', shape: [1], data: f32(b) }];

  it('accepts a sound update', () => {
    assert.equal(checkUpdate(update([1, 2], 3), 10, specs, global, { maxUpdateNorm: 4 }), null);
  });

  it('names the problem of a broken update', () => {
    assert.match(checkUpdate(update([1, Number.NaN], 0), 10, specs, global, {})!, /'k' has a non-finite value \(NaN\) at index 1/);
    assert.match(checkUpdate(update([1, 2], Number.POSITIVE_INFINITY), 10, specs, global, {})!, /'b' has a non-finite value \(Infinity\)/);
    assert.match(checkUpdate([update([1, 2], 0)[0]!], 10, specs, global, {})!, /expected 2 tensors, got 1/);
    assert.match(checkUpdate(update([3, 4], 0), 10, specs, global, { maxUpdateNorm: 4.9 })!, /update norm 5\.000 exceeds the bound of 4\.9/);
    assert.match(checkUpdate(update([1, 2], 0), 0, specs, global, {})!, /sample count must be a positive integer, got 0/);
    assert.match(checkUpdate(update([1, 2], 0), 2.5, specs, global, {})!, /positive integer, got 2.5/);
    assert.match(checkUpdate(update([1, 2], 0), 1e6, specs, global, { maxNumSamples: 1000 })!, /exceeds the limit of 1000/);
  });

  it('measures the norm of the change, not of the weights', () => {
    const from = [f32(10, 10), f32(10)];
    assert.equal(checkUpdate(update([10, 11], 10), 1, specs, from, { maxUpdateNorm: 1 }), null);
  });
});
