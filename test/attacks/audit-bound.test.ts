/**
 * The one-run audit bound against the published vectors of jax_privacy's
 * auditing tests (test_epsilon_one_run_close): deterministic N(mu, 1) scores
 * for 10,000 included and 10,000 excluded canaries, significance 0.05,
 * delta 1e-6, expected eps_lb 1.13346, 2.311945, 4.395568 for mu = 1, 2, 4
 * (rtol 1e-5 there; here 2e-5).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auditOneRun, binomialPmf, logGamma, normalQuantile, oneRunPValue } from '../../src/attacks/audit-bound.js';

/** Phi^-1((i + 0.5) / n) * s + m: jax_privacy's _deterministic_normal. */
const deterministicNormal = (m: number, s: number, n: number): Float64Array => Float64Array.from({ length: n }, (_, i) => normalQuantile((i + 0.5) / n) * s + m);

for (const [mu, expected] of [
  [1, 1.13346],
  [2, 2.311945],
  [4, 4.395568],
] as const) {
  test(`one-run eps_lb for N(${mu},1) vs N(0,1), n = 10,000 a side, matches jax_privacy (${expected})`, () => {
    const r = auditOneRun(deterministicNormal(mu, 1, 10_000), deterministicNormal(0, 1, 10_000), { significance: 0.05, delta: 1e-6 });
    assert.ok(Math.abs(r.epsLb - expected) <= 2e-5 * expected, `eps_lb ${r.epsLb} vs ${expected}`);
    assert.equal(r.canaries, 20_000);
  });
}

test('the building blocks: log-gamma, binomial pmf, normal quantile, p-value against a naive sum', () => {
  assert.ok(Math.abs(logGamma(10) - Math.log(362880)) < 1e-12);
  assert.ok(Math.abs(logGamma(0.5) - 0.5 * Math.log(Math.PI)) < 1e-12);
  const pmf = binomialPmf(30, 0.3);
  assert.ok(Math.abs(pmf.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  // C(30,9) 0.3^9 0.7^21
  assert.ok(Math.abs(pmf[9]! - 14307150 * 0.3 ** 9 * 0.7 ** 21) < 1e-14);
  assert.ok(Math.abs(normalQuantile(0.975) - 1.959963984540054) < 1e-12);
  assert.ok(Math.abs(normalQuantile(1e-10) + 6.361340902404056) < 1e-9);
  // Naive p-value: beta + 2 m delta max_i P[v > X >= v - i] / i.
  for (const [m, r, v, eps, delta] of [
    [100, 10, 9, 0.5, 1e-3],
    [1000, 100, 90, 1, 1e-6],
    [10, 1, 1, 0, 0.1],
  ] as const) {
    const q = Math.exp(eps) / (1 + Math.exp(eps));
    const p = binomialPmf(r, q);
    let beta = 0;
    for (let k = v; k <= r; k++) beta += p[k]!;
    let alpha = 0;
    for (let i = 1; i <= v; i++) {
      let s = 0;
      for (let k = v - i; k < v; k++) s += p[k]!;
      alpha = Math.max(alpha, s / i);
    }
    assert.ok(Math.abs(oneRunPValue(m, r, v, eps, delta) - Math.min(1, beta + 2 * m * delta * alpha)) < 1e-12);
  }
});

test('an oracle attack on 1,000 canaries cannot certify more than about 5.8 (the one-run ceiling); random scores give about 0', () => {
  const ins = Float64Array.from({ length: 500 }, (_, i) => 1000 + i);
  const outs = Float64Array.from({ length: 500 }, (_, i) => i);
  const perfect = auditOneRun(ins, outs, { significance: 0.05, delta: 1e-5 }).epsLb;
  assert.ok(perfect > 4 && perfect < 6, `perfect-attack ceiling ${perfect}`);
  const mixed = Float64Array.from({ length: 1000 }, (_, i) => (i * 7919) % 1000);
  const none = auditOneRun(mixed.subarray(0, 500), mixed.subarray(500), { significance: 0.05, delta: 1e-5 }).epsLb;
  assert.ok(none < 0.5, `no-signal eps_lb ${none}`);
  assert.throws(() => auditOneRun([], [1], { significance: 0.05, delta: 0 }), /both sides/);
});
