import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GdpAccountant, gdpDelta, gdpEpsilon, poissonCltMu, uniformCltMu } from '../../src/accounting/gdp.js';

test('Opacus GDP vector: Poisson CLT, sigma 1.5, q 0.04, T 2249, delta 1e-5 -> 6.59 < eps < 6.60, labelled CLT', () => {
  const r = new GdpAccountant().step({ noiseMultiplier: 1.5, sampleRate: 0.04 }, 2249).explain(1e-5);
  if (r.accountant !== 'gdp') return assert.fail();
  assert.equal(r.approximation, 'CLT');
  assert.ok(r.epsilon > 6.59 && r.epsilon < 6.6, `got ${r.epsilon}`);
  assert.ok(Math.abs(r.mu - 0.04 * Math.sqrt(2249 * Math.expm1(1 / 2.25))) < 1e-15);
});

test('deepee vector: uniform CLT, 10 epochs, sigma 1, n 50000, batch 200, delta 1e-5 -> 1.29 < eps < 1.31', () => {
  const q = 200 / 50000;
  const steps = (10 * 50000) / 200;
  const eps = new GdpAccountant().step({ noiseMultiplier: 1.0, sampleRate: q, sampling: 'uniform' }, steps).getEpsilon(1e-5);
  assert.ok(eps > 1.29 && eps < 1.31, `got ${eps}`);
  // deepee's mu is Bu et al.'s shuffling formula, not q sqrt(T) / sigma (that would give ~0.73).
  const mu = uniformCltMu({ noiseMultiplier: 1, sampleRate: q, steps, sampling: 'uniform' });
  assert.ok(Math.abs(mu - 0.3420284951190662) < 1e-12, `mu ${mu}`);
});

test('GDP duality is solved exactly: delta(eps(mu, delta)) = delta', () => {
  for (const mu of [0.05, 0.3, 1, 3, 10]) {
    for (const delta of [1e-3, 1e-5, 1e-10]) {
      const eps = gdpEpsilon(mu, delta);
      if (eps === 0) {
        assert.ok(gdpDelta(0, mu) <= delta);
        continue;
      }
      const back = gdpDelta(eps, mu);
      assert.ok(Math.abs(back / delta - 1) < 1e-9, `mu ${mu} delta ${delta}: eps ${eps} gives delta ${back}`);
    }
  }
  // A 1-GDP mechanism (Gaussian, sigma 1) at delta 1e-5: eps ~ 4.4 (Balle & Wang's analytic Gaussian).
  const eps = gdpEpsilon(1, 1e-5);
  assert.ok(eps > 4.3 && eps < 4.5);
});

test('full-batch Gaussians are exact GDP and compose by root-sum-of-squares', () => {
  const r = new GdpAccountant()
    .step({ noiseMultiplier: 10, sampleRate: 1 }, 50)
    .step({ noiseMultiplier: 5, sampleRate: 1 }, 50)
    .explain(1e-5);
  if (r.accountant !== 'gdp') return assert.fail();
  assert.equal(r.approximation, 'exact');
  assert.ok(Math.abs(r.mu - Math.sqrt(50 / 100 + 50 / 25)) < 1e-14);
  const mixed = new GdpAccountant().step({ noiseMultiplier: 10, sampleRate: 1 }).step({ noiseMultiplier: 1, sampleRate: 0.1 }, 10);
  const m = mixed.explain(1e-5);
  if (m.accountant !== 'gdp') return assert.fail();
  assert.equal(m.approximation, 'CLT');
  const poissonMu = poissonCltMu({ noiseMultiplier: 1, sampleRate: 0.1, steps: 10, sampling: 'poisson' });
  assert.ok(Math.abs(m.mu - Math.hypot(0.1, poissonMu)) < 1e-14);
});
