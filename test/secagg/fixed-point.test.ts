import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeSum, encodeInput, fixedPointScheme, quantisationErrorBound } from '../../src/secagg/input-encoding.js';
import { addInto } from '../../src/crypto/ring.js';
import { SecAggError } from '../../src/secagg/errors.js';
import { ids, makeParams, seededRandom } from './helpers.js';

test('stochastic rounding is unbiased and each encoding is within one step', () => {
  const params = makeParams({ nodeIds: ids(1000), vectorLength: 1, clip: 1, maxWeight: 1 });
  const scheme = fixedPointScheme(params);
  const random = seededRandom('unbiased');
  // a value exactly 0.3 steps above a grid point
  const x = (1234 + 0.3) / scheme.valueScale;
  let total = 0;
  const draws = 20000;
  for (let i = 0; i < draws; i++) {
    const q = encodeInput({ values: [x] }, params, scheme, random)[0]! | 0;
    assert.ok(q === 1234 || q === 1235, `encoding ${q} is not next to 1234.3`);
    total += q;
  }
  // mean of Bernoulli(0.3) over 20000 draws: sd 0.0032, allow 5 sd
  assert.ok(Math.abs(total / draws - 1234.3) < 0.017, `mean ${total / draws}`);
});

test('n extreme inputs sum without wrapping around the ring', () => {
  for (const n of [2, 3, 50, 1000]) {
    const params = makeParams({ nodeIds: ids(n), vectorLength: 2, clip: 2, maxWeight: 10 });
    const scheme = fixedPointScheme(params);
    const random = seededRandom(`extremes-${n}`);
    const acc = new Uint32Array(3);
    for (let i = 0; i < n; i++) addInto(acc, encodeInput({ values: [2, -2], weight: 10 }, params, scheme, random));
    const { sum, weightSum } = decodeSum(acc, scheme);
    const bound = quantisationErrorBound(scheme, n);
    assert.ok(Math.abs(sum[0]! - 20 * n) <= bound.value, `n=${n}: ${sum[0]} vs ${20 * n}`);
    assert.ok(Math.abs(sum[1]! + 20 * n) <= bound.value, `n=${n}: ${sum[1]} vs ${-20 * n}`);
    assert.ok(Math.abs(weightSum - 10 * n) <= bound.weight);
  }
});

test('values are clipped; NaN, wrong length and out-of-range weights are refused', () => {
  const params = makeParams({ nodeIds: ids(3), vectorLength: 2, clip: 0.5, maxWeight: 4 });
  const scheme = fixedPointScheme(params);
  const random = seededRandom('clip');
  const { sum } = decodeSum(encodeInput({ values: [7, -Infinity], weight: 2 }, params, scheme, random), scheme);
  assert.ok(Math.abs(sum[0]! - 1) <= 1 / scheme.valueScale);
  assert.ok(Math.abs(sum[1]! + 1) <= 1 / scheme.valueScale);
  const refused = (input: Parameters<typeof encodeInput>[0]) =>
    assert.throws(() => encodeInput(input, params, scheme, random), (e: unknown) => e instanceof SecAggError && e.code === 'invalid-input');
  refused({ values: [0, Number.NaN] });
  refused({ values: [0] });
  refused({ values: [0, 0], weight: 5 });
  refused({ values: [0, 0], weight: -1 });
});
