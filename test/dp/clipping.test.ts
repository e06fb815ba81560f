import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ClippedSum, planClipping, type ClipSpec } from '../../src/dp/sgd/clipping.js';
import { PrivmedError } from '../../src/common/errors.js';

const VARIABLES = [
  { name: 'conv/kernel', layer: 'conv', size: 6 },
  { name: 'conv/bias', layer: 'conv', size: 2 },
  { name: 'fc/kernel', layer: 'fc', size: 4 },
];
const SIZES = VARIABLES.map((v) => v.size);

function norm(values: ArrayLike<number>[]): number {
  let s = 0;
  for (const v of values) for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return Math.sqrt(s);
}

/** One sample's gradient as float32 arrays, entries spanning many magnitudes. */
const sampleGradient = fc
  .tuple(
    fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 12, maxLength: 12 }),
    fc.integer({ min: -30, max: 30 }),
  )
  .map(([unit, exponent]) => {
    const scale = 2 ** exponent;
    let offset = 0;
    return SIZES.map((n) => {
      const out = Float32Array.from(unit.slice(offset, offset + n), (x) => x * scale);
      offset += n;
      return out;
    });
  });

test('flat clipping: every sample contributes at most C to the sum, and small gradients pass unchanged', () => {
  fc.assert(
    fc.property(sampleGradient, fc.double({ min: 1e-3, max: 1e3, noNaN: true }), (grads, c) => {
      const sum = new ClippedSum(SIZES, planClipping({ kind: 'flat', norm: c }, VARIABLES));
      sum.add(grads);
      const contributed = norm(sum.sums);
      const original = norm(grads);
      assert.ok(contributed <= c * (1 + 1e-12), `norm ${contributed} > ${c}`);
      if (original <= c) assert.ok(Math.abs(contributed - original) <= 1e-12 * Math.max(original, 1e-300) + 1e-300);
      else assert.ok(Math.abs(contributed - c) <= 1e-9 * c, 'a large gradient is scaled to exactly C');
    }),
    { numRuns: 300 },
  );
});

test('per-layer clipping: every layer of every sample within its own bound; the sum moves by at most sqrt(sum C_l^2)', () => {
  fc.assert(
    fc.property(
      fc.array(sampleGradient, { minLength: 1, maxLength: 6 }),
      fc.double({ min: 1e-2, max: 10, noNaN: true }),
      fc.double({ min: 1e-2, max: 10, noNaN: true }),
      (samples, cConv, cFc) => {
        const spec: ClipSpec = { kind: 'per-layer', norms: { conv: cConv, fc: cFc } };
        const plan = planClipping(spec, VARIABLES);
        assert.ok(Math.abs(plan.sensitivity - Math.hypot(cConv, cFc)) < 1e-12 * plan.sensitivity);
        const without = new ClippedSum(SIZES, plan);
        const withIt = new ClippedSum(SIZES, plan);
        for (const s of samples.slice(1)) {
          without.add(s);
          withIt.add(s);
        }
        const one = new ClippedSum(SIZES, plan);
        one.add(samples[0]!);
        assert.ok(norm(one.sums.slice(0, 2)) <= cConv * (1 + 1e-12));
        assert.ok(norm(one.sums.slice(2)) <= cFc * (1 + 1e-12));
        withIt.add(samples[0]!);
        const moved = norm(withIt.sums.map((s, v) => s.map((x, i) => x - without.sums[v]![i]!)));
        assert.ok(moved <= plan.sensitivity * (1 + 1e-9), `sum moved ${moved} > ${plan.sensitivity}`);
      },
    ),
    { numRuns: 200 },
  );
});

test('a non-finite sample gradient is dropped, not summed', () => {
  const sum = new ClippedSum(SIZES, planClipping({ kind: 'flat', norm: 1 }, VARIABLES));
  const bad = SIZES.map((n) => new Float32Array(n).fill(1));
  bad[1]![0] = Number.NaN;
  sum.add(bad);
  sum.add(SIZES.map((n) => new Float32Array(n).fill(0.01)));
  assert.equal(sum.dropped, 1);
  assert.equal(sum.samples, 2);
  assert.ok(sum.flat().every((x) => Math.abs(x - 0.01) < 1e-9));
});

test('rows of a [batch, ...] array are separate samples', () => {
  const plan = planClipping({ kind: 'flat', norm: 1 }, VARIABLES);
  const sum = new ClippedSum(SIZES, plan);
  const rows = SIZES.map((n) => Float32Array.from({ length: 2 * n }, (_, i) => (i < n ? 3 : 0.001)));
  sum.add(rows, 0);
  sum.add(rows, 1);
  const first = 1 / Math.sqrt(12); // twelve entries of 3, clipped to norm 1
  assert.ok(sum.flat().every((x) => Math.abs(x - (first + 0.001)) < 1e-6));
});

test('per-layer bounds: an even split, and errors that name missing or unknown layers', () => {
  const even = planClipping({ kind: 'per-layer', norm: 2 }, VARIABLES);
  assert.deepEqual(even.groupNames, ['conv', 'fc']);
  assert.ok(Math.abs(even.sensitivity - 2) < 1e-12);
  assert.throws(() => planClipping({ kind: 'per-layer', norms: { conv: 1 } }, VARIABLES), (e: unknown) => e instanceof PrivmedError && /no bound for layer 'fc'/.test(e.message));
  assert.throws(() => planClipping({ kind: 'per-layer', norms: { conv: 1, fc: 1, head: 1 } }, VARIABLES), /no trainable layer 'head'/);
  assert.throws(() => planClipping({ kind: 'flat', norm: 0 }, VARIABLES), /clipping norm must be a finite number > 0/);
});
