import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RdpAccountant, historyRdp, DEFAULT_RDP_ORDERS } from '../../src/accounting/rdp.js';
import { rdpToDp } from '../../src/accounting/rdp-conversion.js';
import { GdpAccountant, gdpEpsilon, historyMu } from '../../src/accounting/gdp.js';
import { prvEpsilon } from '../../src/accounting/prv.js';
import { explainEpsilon } from '../../src/accounting/create-accountant.js';
import type { MechanismEvent, Sampling } from '../../src/accounting/events.js';
import { oneStepEpsilon } from './helpers/exact-one-step.js';

const sigma = fc.double({ min: 0.5, max: 8, noNaN: true });
const rate = fc.double({ min: 1e-4, max: 0.5, noNaN: true });
const steps = fc.integer({ min: 1, max: 20_000 });
const sampling = fc.constantFrom<Sampling>('poisson', 'uniform');
const delta = fc.constantFrom(1e-5, 1e-7);
const event = fc.record({ noiseMultiplier: sigma, sampleRate: rate, steps, sampling });

const rdpEps = (e: MechanismEvent, d: number) => new RdpAccountant().compose([e]).getEpsilon(d);
const gdpEps = (e: MechanismEvent, d: number) => new GdpAccountant().compose([e]).getEpsilon(d);

/** b >= a, allowing for the last bits of floating point. */
const atLeast = (b: number, a: number) => b >= a - 1e-12 * Math.max(1, Math.abs(a));

for (const [name, eps] of [['rdp', rdpEps], ['gdp', gdpEps]] as const) {
  test(`${name}: epsilon grows with steps and sample rate, shrinks with noise`, () => {
    fc.assert(
      // Sample rates stay below 1: GDP switches from its CLT to the exact mu at q = 1.
      fc.property(event, delta, fc.double({ min: 1.01, max: 1.9, noNaN: true }), (e, d, factor) => {
        const base = eps(e, d);
        const moreSteps = eps({ ...e, steps: Math.ceil(e.steps * factor) + 1 }, d);
        const moreRate = eps({ ...e, sampleRate: e.sampleRate * factor }, d);
        const moreNoise = eps({ ...e, noiseMultiplier: e.noiseMultiplier * factor }, d);
        return atLeast(moreSteps, base) && atLeast(moreRate, base) && atLeast(base, moreNoise) && moreSteps > moreNoise;
      }),
      { numRuns: 60 },
    );
  });
}

test('rdp: never below the exact epsilon of the full-batch Gaussian mechanism', () => {
  fc.assert(
    fc.property(sigma, fc.integer({ min: 1, max: 1000 }), delta, (s, t, d) => {
      const exact = gdpEpsilon(Math.sqrt(t) / s, d); // T full-batch steps are exactly (sqrt(T)/s)-GDP
      const bound = rdpEps({ noiseMultiplier: s, sampleRate: 1, steps: t, sampling: 'poisson' }, d);
      return bound >= exact;
    }),
    { numRuns: 60 },
  );
});

test("rdp: never below the PRV accountant's guaranteed lower bound (Poisson)", () => {
  fc.assert(
    fc.property(
      fc.double({ min: 0.7, max: 4, noNaN: true }),
      fc.double({ min: 1e-3, max: 0.2, noNaN: true }),
      fc.integer({ min: 1, max: 400 }),
      (s, q, t) => {
        const e: MechanismEvent = { noiseMultiplier: s, sampleRate: q, steps: t, sampling: 'poisson' };
        const prv = prvEpsilon([e], 1e-5);
        const rdp = rdpEps(e, 1e-5);
        // Composition never lowers epsilon: one step's exact epsilon bounds all of them from below.
        return rdp >= prv.lower && rdp >= oneStepEpsilon(q, s, 1e-5);
      },
    ),
    { numRuns: 8 },
  );
});

test('prv: epsilon grows with steps (to within its mesh effects)', () => {
  fc.assert(
    fc.property(fc.double({ min: 0.8, max: 3, noNaN: true }), fc.double({ min: 1e-3, max: 0.1, noNaN: true }), fc.integer({ min: 1, max: 200 }), (s, q, t) => {
      const e = (n: number): MechanismEvent => ({ noiseMultiplier: s, sampleRate: q, steps: n, sampling: 'poisson' });
      const a = prvEpsilon([e(t)], 1e-5).upper;
      const b = prvEpsilon([e(2 * t + 5)], 1e-5).upper;
      return b >= a - 1e-4;
    }),
    { numRuns: 6 },
  );
});

test('composing two event lists equals accounting for the merged history', () => {
  const list = fc.array(
    fc.record({
      noiseMultiplier: fc.constantFrom(0.9, 1.3, 2.5),
      sampleRate: fc.constantFrom(0.01, 0.05),
      steps: fc.integer({ min: 0, max: 3000 }),
      sampling,
    }),
    { maxLength: 4 },
  );
  fc.assert(
    fc.property(list, list, delta, (a, b, d) => {
      const inTwo = new RdpAccountant().compose(a).compose(b);
      const inOne = new RdpAccountant().compose([...b, ...a]);
      // RDP adds up: the curve of a then b is the sum of the two curves.
      const rdpB = historyRdp(b, DEFAULT_RDP_ORDERS);
      const summed = historyRdp(a, DEFAULT_RDP_ORDERS).map((r, i) => r + rdpB[i]!);
      // (An empty history has spent nothing, whatever the conversion would say.)
      const fromSum = [...a, ...b].some((e) => e.steps > 0) ? rdpToDp(DEFAULT_RDP_ORDERS, summed, d).epsilon : 0;
      const rdpOk = Math.abs(inTwo.getEpsilon(d) - inOne.getEpsilon(d)) <= 1e-12 * (1 + fromSum) && Math.abs(inTwo.getEpsilon(d) - fromSum) <= 1e-9 * (1 + fromSum);
      // GDP: mu^2 adds up.
      const mu2 = historyMu([...a, ...b]).mu ** 2;
      const gdpOk = Math.abs(mu2 - (historyMu(a).mu ** 2 + historyMu(b).mu ** 2)) <= 1e-12 * (1 + mu2);
      // The merged history has one entry per distinct mechanism with the step counts summed.
      const total = (xs: MechanismEvent[]) => xs.reduce((n, e) => n + e.steps, 0);
      const historyOk = total([...inTwo.history]) === total([...a, ...b]) && inTwo.history.every((e) => e.steps > 0);
      return rdpOk && gdpOk && historyOk;
    }),
    { numRuns: 60 },
  );
  // Step-by-step recording equals one bulk record.
  const stepwise = new RdpAccountant();
  for (let i = 0; i < 500; i++) stepwise.step({ noiseMultiplier: 1.1, sampleRate: 0.02 });
  assert.equal(stepwise.getEpsilon(1e-5), explainEpsilon([{ noiseMultiplier: 1.1, sampleRate: 0.02, steps: 500, sampling: 'poisson' }], 1e-5).epsilon);
});
