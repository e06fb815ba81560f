import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PrvAccountant, prvEpsilon } from '../../src/accounting/prv.js';
import { gdpEpsilon } from '../../src/accounting/gdp.js';
import { PrivmedError } from '../../src/common/errors.js';
import type { MechanismEvent } from '../../src/accounting/events.js';
import { oneStepEpsilon } from './helpers/exact-one-step.js';

const poisson = (noiseMultiplier: number, sampleRate: number, steps: number): MechanismEvent => ({
  noiseMultiplier,
  sampleRate,
  steps,
  sampling: 'poisson',
});

// Microsoft prv_accountant's values (Opacus tests/prv_accountant.py, delta 1e-6,
// default eps_error 0.01 and delta_error delta/1000). They are prv_accountant's
// UPPER bounds, which is what PrvAccountant reports.
const MSR: [number, number, number, number][] = [
  [0.8, 0.001, 100, 0.270403364058018680360362395731],
  [1.5, 0.05, 1000, 6.20996924657726712126759593957],
  [1.5, 0.001, 100, 0.0393694193095203287535710501288],
  [3.0, 0.2, 100, 3.38122051022184422208738396876],
];

test('PRV matches Microsoft prv_accountant to 5 decimal places', () => {
  for (const [sigma, q, steps, expected] of MSR) {
    const acc = new PrvAccountant();
    acc.step({ noiseMultiplier: sigma, sampleRate: q }, steps);
    const eps = acc.getEpsilon(1e-6);
    assert.ok(Math.abs(eps - expected) < 5e-6, `(${sigma}, ${q}, ${steps}): ${eps} vs ${expected}`);
  }
});

test('PRV interval: estimate in [lower, upper], upper = what is reported', () => {
  const r = new PrvAccountant().step({ noiseMultiplier: 0.8, sampleRate: 0.001 }, 100).explain(1e-6);
  if (r.accountant !== 'prv') return assert.fail();
  assert.ok(r.lower < r.estimate && r.estimate < r.upper);
  assert.equal(r.epsilon, r.upper);
  assert.ok(r.upper - r.lower < 2 * r.epsError + 1e-3);
  assert.equal(r.deltaError, 1e-6 / 1000);
});

test('PRV bounds bracket the exact epsilon of composed full-batch Gaussians', () => {
  // q = 1: T steps of noise sigma are exactly (sqrt(T)/sigma)-GDP.
  for (const [sigma, steps, delta] of [[10, 100, 1e-5], [3, 20, 1e-6], [50, 5000, 1e-5]] as const) {
    const exact = gdpEpsilon(Math.sqrt(steps) / sigma, delta);
    const r = prvEpsilon([poisson(sigma, 1, steps)], delta);
    assert.ok(r.lower <= exact && exact <= r.upper, `sigma ${sigma}, T ${steps}: ${exact} not in [${r.lower}, ${r.upper}]`);
    assert.ok(Math.abs(r.estimate - exact) < 2e-3, `estimate ${r.estimate} vs exact ${exact}`);
  }
  // Heterogeneous: 50 steps at sigma 10 and 50 at sigma 5 (prv_accountant's test).
  const exact = gdpEpsilon(Math.sqrt(50 / 100 + 50 / 25), 1e-5);
  const r = prvEpsilon([poisson(10, 1, 50), poisson(5, 1, 50)], 1e-5);
  assert.ok(r.lower <= exact && exact <= r.upper, `${exact} not in [${r.lower}, ${r.upper}]`);
});

test('PRV bounds bracket the exact epsilon of one subsampled step (both neighbour directions)', () => {
  for (const [sigma, q, delta] of [[0.7, 0.001, 1e-5], [1, 0.05, 1e-5], [0.5, 0.3, 1e-6], [2, 0.5, 1e-3]] as const) {
    const exact = oneStepEpsilon(q, sigma, delta);
    const r = prvEpsilon([poisson(sigma, q, 1)], delta);
    assert.ok(r.lower <= exact && exact <= r.upper, `(${sigma}, ${q}): exact ${exact} not in [${r.lower}, ${r.upper}]`);
  }
});

test('PRV heterogeneous composition equals the single history when events coincide', () => {
  const split = prvEpsilon([poisson(1.1, 0.02, 300), poisson(1.1, 0.02, 200)], 1e-5);
  const whole = prvEpsilon([poisson(1.1, 0.02, 500)], 1e-5);
  assert.equal(split.upper, whole.upper);
  const mixed = prvEpsilon([poisson(1.1, 0.02, 300), poisson(2, 0.05, 200)], 1e-5);
  assert.ok(mixed.upper > prvEpsilon([poisson(1.1, 0.02, 300)], 1e-5).upper);
  assert.ok(mixed.upper > prvEpsilon([poisson(2, 0.05, 200)], 1e-5).upper);
});

test('PRV refuses what it cannot account for', () => {
  assert.throws(() => prvEpsilon([{ ...poisson(1, 0.01, 10), sampling: 'uniform' }], 1e-5), PrivmedError);
  assert.throws(() => prvEpsilon([poisson(1, 0.01, 10)], 1e-5, { epsError: 1e-6, maxGridSize: 2 ** 16 }), /grid of \d+ points/);
  assert.equal(prvEpsilon([], 1e-5).upper, 0);
});
