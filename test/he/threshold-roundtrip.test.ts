import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CKKS_PARAMS, errorBound } from '../../src/he/index.js';
import { decodeCoefficients, fromNtt } from '../../src/he/index.js';
import { heContext, maxAbsDiff, plainSum, randomActive, roundTrip, roundTripSeen, setupCommittee, weightedInputs } from './helpers.js';

// encrypt -> add n -> threshold decrypt == plaintext weighted sum within the documented bound.
const BOUND = 2 ** -24;

test('documented error bound is below 2^-24', () => {
  assert.ok(errorBound(DEFAULT_CKKS_PARAMS) <= BOUND);
});

for (const [n, length] of [[2, 8192], [5, 8192], [50, 512]] as const) {
  test(`n = ${n}: t-of-n decryption of the sum with random nodes missing`, async () => {
    const he = await heContext();
    const t = Math.ceil((2 * n) / 3);
    const c = setupCommittee(he, n, t, 'roundtrip');
    const inputs = weightedInputs(n, length);
    const expected = plainSum(inputs);
    const active = randomActive(c.ids, t);
    const got = roundTrip(he, c, inputs, active);
    const err = maxAbsDiff(got, expected);
    assert.ok(err <= errorBound(DEFAULT_CKKS_PARAMS), `n=${n} active=[${active}] max error ${err}`);
    assert.ok(err <= BOUND);
    // with a different random active set of t + (n - t) / 2 nodes, the same ciphertexts decrypt too
    const more = randomActive(c.ids, t + Math.floor((n - t) / 2));
    assert.ok(maxAbsDiff(roundTrip(he, c, inputs, more, 'agg-2'), expected) <= BOUND);
  });
}

test('fewer than t shares do not decrypt', async () => {
  const he = await heContext();
  const c = setupCommittee(he, 5, 4, 'below-t');
  const inputs = weightedInputs(5, 64);
  const active = randomActive(c.ids, 3);
  // Lagrange over 3 points of a degree-3 sharing gives a wrong key: the result is noise, not the sum
  const got = roundTrip(he, c, inputs, active);
  assert.ok(maxAbsDiff(got, plainSum(inputs)) > 1);
});

test('what the coordinator holds decodes to noise: the combined result without the consortium pads is not the sum', async () => {
  const he = await heContext();
  const c = setupCommittee(he, 3, 2, 'coordinator-view');
  const inputs = weightedInputs(3, 256);
  const seen = roundTripSeen(he, c, inputs, [1, 3]);
  const expected = plainSum(inputs);
  assert.ok(maxAbsDiff(seen.opened, expected) <= BOUND);
  assert.ok(maxAbsDiff(decodeCoefficients(he, fromNtt(he, seen.combined), 256), expected) > 1e3);
});
