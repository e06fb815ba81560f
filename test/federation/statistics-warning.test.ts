/**
 * Issue #18 item 6: two small DP sites whose noisy sums give a negative
 * variance got the floor as their global std, silently. The floor is now
 * named as what it is, in the coordinator's log and in a local DP run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEvent } from '../../src/federation/coordinator/events.js';
import { normalisationOf } from '../../src/federation/wire/statistics.js';
import { flooredChannels, flooredWarning } from '../../src/dp/statistics/exact-sums.js';

test('a floored standard deviation is reported with a warning, a measured one is not', () => {
  // 364 images (two sites of 182), noisy sums: mean 0.5, mean square 0.22 < 0.25.
  const noisy = normalisationOf({ count: 364, sum: [182], sumSquares: [80] });
  assert.deepEqual(flooredChannels(noisy), [0]);
  const warning = flooredWarning(noisy, 'statistics exchange');
  assert.match(warning!, /standard deviation of channel 0 is at its floor \(1\/255\), not a measurement/);
  const line = describeEvent({ type: 'statistics', mean: noisy.mean, std: noisy.std, nodes: 2, reused: false, warning: warning! });
  assert.match(line, /\nWARNING: statistics exchange: the standard deviation of channel 0/);
  const fine = normalisationOf({ count: 364, sum: [182], sumSquares: [106] });
  assert.deepEqual(flooredChannels(fine), []);
  assert.equal(flooredWarning(fine, 'x'), null);
});
