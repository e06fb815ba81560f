import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RdpAccountant, DEFAULT_RDP_ORDERS } from '../../src/accounting/rdp.js';
import { logAFractionalOrder, poissonGaussianRdp } from '../../src/accounting/rdp-poisson.js';
import { uniformGaussianRdp } from '../../src/accounting/rdp-uniform.js';
import { renyiByQuadrature } from './helpers/renyi-quadrature.js';

// TF-Privacy's compute_dp_sgd_privacy order list.
const TF_ORDERS = [1.25, 1.5, 1.75, 2, 2.25, 2.5, 3, 3.5, 4, 4.5, ...Array.from({ length: 59 }, (_, i) => 5 + i), 128, 256, 512];

test("Opacus's default order grid", () => {
  assert.equal(DEFAULT_RDP_ORDERS.length, 99 + 52);
  assert.equal(DEFAULT_RDP_ORDERS[0], 1.1);
  assert.equal(DEFAULT_RDP_ORDERS[98], 10.9);
  assert.equal(DEFAULT_RDP_ORDERS[99], 12);
  assert.equal(DEFAULT_RDP_ORDERS.at(-1), 63);
});

test('Opacus test vector: sigma 1.5, q 0.04, 2250 single steps, delta 1e-5 -> 7.32911117143', () => {
  const acc = new RdpAccountant();
  for (let i = 0; i < 2250; i++) acc.step({ noiseMultiplier: 1.5, sampleRate: 0.04 });
  assert.deepEqual(acc.history, [{ noiseMultiplier: 1.5, sampleRate: 0.04, steps: 2250, sampling: 'poisson' }]);
  const eps = acc.getEpsilon(1e-5);
  assert.ok(Math.abs(eps - 7.32911117143) < 5e-8, `got ${eps}`);
});

test("TF-Privacy compute_dp_sgd_privacy vectors (improved conversion, its order list) and their optimal orders", () => {
  const mnist = new RdpAccountant({ orders: TF_ORDERS }).step({ noiseMultiplier: 1.3, sampleRate: 150 / 60000 }, 6000).explain(1e-5);
  assert.equal(mnist.accountant, 'rdp');
  if (mnist.accountant !== 'rdp') return;
  assert.ok(Math.abs(mnist.epsilon - 0.7242234026109595) < 1e-9, `got ${mnist.epsilon}`);
  assert.equal(mnist.order, 19);
  const big = new RdpAccountant({ orders: TF_ORDERS }).step({ noiseMultiplier: 1.0, sampleRate: 100 / 100000 }, 30000).explain(1e-7);
  if (big.accountant !== 'rdp') return assert.fail();
  assert.ok(Math.abs(big.epsilon - 1.4154988495444842) < 1e-9, `got ${big.epsilon}`);
  assert.equal(big.order, 13);
});

test('classic conversion (Mironov 2017) is available and looser', () => {
  const events = [{ noiseMultiplier: 1.3, sampleRate: 150 / 60000, steps: 6000, sampling: 'poisson' as const }];
  const classic = new RdpAccountant({ orders: TF_ORDERS, conversion: 'classic' }).compose(events).explain(1e-5);
  const improved = new RdpAccountant({ orders: TF_ORDERS }).compose(events).getEpsilon(1e-5);
  if (classic.accountant !== 'rdp') return assert.fail();
  // eps = rdp - log(delta)/(alpha-1); reference from an independent scipy evaluation of the same formulas.
  assert.ok(Math.abs(classic.epsilon - 0.9418705671682341) < 1e-9, `got ${classic.epsilon}`);
  assert.equal(classic.order, 19);
  assert.equal(classic.conversion, 'classic');
  assert.ok(classic.epsilon > improved);
});

test('Poisson RDP series equals the Renyi divergence of its dominating pair by quadrature', () => {
  for (const [q, sigma] of [[0.04, 1.5], [0.3, 0.9], [0.01, 4]] as const) {
    const p = { components: [[1 - q, 0], [q, 1]] as const, sigma };
    const base = { components: [[1, 0]] as const, sigma };
    for (const alpha of [1.5, 2, 3.7, 8, 20.5]) {
      const series = poissonGaussianRdp(q, sigma, alpha);
      // Mironov et al.: for the SGM the max is D(P||Q), P the mixture, Q = N(0, sigma^2).
      const quad = renyiByQuadrature(p, base, alpha, -40 * sigma, 1 + 40 * sigma);
      assert.ok(Math.abs(series - quad) <= 1e-9 * Math.max(1, quad), `q=${q} sigma=${sigma} alpha=${alpha}: ${series} vs ${quad}`);
    }
  }
});

test('RDP edge cases: full batch is the Gaussian mechanism, no noise is infinite, no sampling is free', () => {
  assert.equal(poissonGaussianRdp(1, 2, 5), 5 / 8);
  assert.equal(poissonGaussianRdp(0.1, 0, 5), Infinity);
  assert.equal(poissonGaussianRdp(0, 1, 5), 0);
  assert.throws(() => poissonGaussianRdp(0.1, 1, 1), RangeError);
  const zeroSteps = new RdpAccountant().step({ noiseMultiplier: 1, sampleRate: 0.1 }, 0);
  assert.equal(zeroSteps.getEpsilon(1e-5), 0);
  assert.equal(zeroSteps.history.length, 0);
});

test('uniform (fixed-size) RDP: the Wang-Balle-Kasiviswanathan bound, with replace-one sensitivity 2', () => {
  const q = 0.05;
  const sigma = 1.2;
  const eps2 = (2 * 4) / (2 * sigma * sigma); // base Gaussian RDP at order 2, sensitivity 2
  // At alpha = 2 Theorem 9 reads log(1 + q^2 min(4 (e^eps2 - 1), 2 e^eps2)).
  const expected = Math.log(1 + q * q * Math.min(4 * Math.expm1(eps2), 2 * Math.exp(eps2)));
  assert.ok(Math.abs(uniformGaussianRdp(q, sigma, 2) - expected) < 1e-14);
  // Fractional orders interpolate the cumulant linearly between integers.
  const c3 = 2 * uniformGaussianRdp(q, sigma, 3);
  const c4 = 3 * uniformGaussianRdp(q, sigma, 4);
  assert.ok(Math.abs(2.25 * uniformGaussianRdp(q, sigma, 3.25) - (0.75 * c3 + 0.25 * c4)) < 1e-12);
  // Never above the un-subsampled mechanism; full batch is exactly it.
  assert.equal(uniformGaussianRdp(1, sigma, 7), (7 * 4) / (2 * sigma * sigma));
  assert.ok(uniformGaussianRdp(0.9, 0.5, 40) <= (40 * 4) / (2 * 0.25));
});

test('uniform RDP bound is at least the divergence of a realisable pair of neighbouring outputs', () => {
  // One record's clipped gradient +C is replaced by -C, all others are 0: with
  // probability q the batch holds it, so the outputs are mixtures around 0.
  for (const [q, sigma] of [[0.05, 1.2], [0.2, 2], [0.01, 0.8]] as const) {
    const p = { components: [[1 - q, 0], [q, 1]] as const, sigma };
    const r = { components: [[1 - q, 0], [q, -1]] as const, sigma };
    for (const alpha of [1.5, 2, 5, 12, 33]) {
      const lower = renyiByQuadrature(p, r, alpha, -40 * sigma - 1, 40 * sigma + 1);
      const bound = uniformGaussianRdp(q, sigma, alpha);
      assert.ok(bound >= lower, `q=${q} sigma=${sigma} alpha=${alpha}: bound ${bound} < realisable ${lower}`);
    }
  }
});

test('a fractional-order series that does not converge bounds nothing (Infinity) instead of ending the run', () => {
  assert.ok(Number.isFinite(logAFractionalOrder(0.01, 1, 2.5)));
  assert.equal(logAFractionalOrder(0.01, 1, 2.5, 2), Infinity);
  // The accountant takes the minimum over orders, so one such order cannot lower epsilon.
  const acc = new RdpAccountant({ orders: [2.5, 3] });
  acc.step({ noiseMultiplier: 1, sampleRate: 0.01, sampling: 'poisson' }, 100);
  assert.ok(Number.isFinite(acc.getEpsilon(1e-5)));
});
