import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GaussianGridMechanism, planGaussianGrid } from '../../src/dp/mechanisms/grid-gaussian.js';
import { LaplaceGridMechanism, planLaplaceGrid } from '../../src/dp/mechanisms/grid-laplace.js';
import { PrivmedError } from '../../src/common/errors.js';
import { assertMeanNear, moments } from './stats-helpers.js';

test('the grid is fine enough that rounding costs at most 0.2% extra noise, and the noise covers the rounded sensitivity', () => {
  for (const [c, sigma, d] of [[1, 1, 318_000], [0.1, 0.5, 60_000], [1.7, 10, 3], [1, 25, 11_000_000]] as const) {
    const p = planGaussianGrid(c, sigma, d);
    assert.ok(p.noiseStd >= sigma * c && p.noiseStd <= sigma * c * 1.002, `noise std ${p.noiseStd} vs sigma*C ${sigma * c}`);
    // Sensitivity of round(f / grid) in grid steps: C (1 + 2^-20) / grid + 1.25 sqrt(d); the noise must be sigma times that.
    const roundedSensitivity = (c * (1 + 2 ** -20)) / p.grid + 1.25 * Math.sqrt(d);
    assert.ok(2 ** p.log2Scale >= sigma * roundedSensitivity, `scale 2^${p.log2Scale} < ${sigma * roundedSensitivity}`);
  }
});

test('released values lie on the grid and the noise has standard deviation sigma * C', () => {
  const plan = planGaussianGrid(0.5, 2, 50_000);
  const values = new Float64Array(50_000).map((_, i) => Math.sin(i) * 3);
  const out = new GaussianGridMechanism(plan).release(values);
  const noise = new Float64Array(out.length);
  for (let i = 0; i < out.length; i++) {
    const steps = out[i]! / plan.grid;
    assert.ok(Math.abs(steps - Math.round(steps)) < 1e-6, `value ${i} is off the grid`);
    noise[i] = out[i]! - values[i]!;
  }
  const { mean, variance } = moments(noise);
  assertMeanNear(mean, 0, 1, noise.length, 'noise mean');
  assertMeanNear(Math.sqrt(variance), 0.5 * 2, 0.5 * 2 * Math.SQRT1_2, noise.length, 'noise std');
});

test('two releases of the same values draw different noise', () => {
  const m = new GaussianGridMechanism(planGaussianGrid(1, 1, 10));
  const zero = new Float64Array(10);
  assert.notDeepEqual(m.release(zero), m.release(zero));
});

test('values too large for the grid or not finite are refused, not wrapped', () => {
  const m = new GaussianGridMechanism(planGaussianGrid(1, 1, 2));
  assert.throws(() => m.release(Float64Array.from([0, Number.NaN])), (e: unknown) => e instanceof PrivmedError && /index 1 is not finite/.test(e.message));
  assert.throws(() => m.release(Float64Array.from([1e300, 0])), PrivmedError);
  assert.throws(() => m.release(new Float64Array(3)), /planned for 2 values/);
});

test('the Laplace grid keeps epsilon within the charged sensitivity / scale and its noise has the Laplace variance', () => {
  const plan = planLaplaceGrid(3, 30, 5);
  const epsilonSpent = ((3 * (1 + 2 ** -20)) / plan.grid + 1.25 * 5) / plan.gridScale;
  assert.ok(epsilonSpent <= 3 / 30, `epsilon ${epsilonSpent} > ${3 / 30}`);
  const m = new LaplaceGridMechanism(plan);
  const noise: number[] = [];
  for (let i = 0; i < 4000; i++) noise.push(...m.release(Float64Array.from([1, 2, 3, 4, 5])).map((v, k) => v - (k + 1)));
  const { variance } = moments(noise);
  const realScale = plan.grid * plan.gridScale;
  assert.ok(realScale >= 30 && realScale < 30 * 1.002);
  // Laplace variance 2 b^2; the sample variance's std is about b^2 sqrt(20) for Laplace tails.
  assertMeanNear(variance, 2 * realScale ** 2, realScale ** 2 * Math.sqrt(20), noise.length, 'Laplace variance');
});
