// DP-SGD's release (GaussianGridMechanism.releaseScaled): the add-on's gridRelease (native/clip.c)
// against the JavaScript arithmetic bit for bit (Math.round's ties, signs, the grid's range), and the
// release on each engine: on the grid, the noise's spread, refusals naming the value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/engine/backend.js';
import { engineChoice, nativeKernels, useEngine, type EngineName } from '../../src/engine/native-addon.js';
import { GaussianGridMechanism, planGaussianGrid } from '../../src/dp/mechanisms/grid-gaussian.js';
import { PrivmedError } from '../../src/common/errors.js';
import { Rng } from '../../src/common/rng.js';
import { assertMeanNear, moments } from './stats-helpers.js';

await initBackend('wasm');
const native = engineChoice()?.best !== undefined;
const ENGINES: EngineName[] = native ? ['native', 'wasm'] : ['wasm'];

test('native gridRelease equals the JavaScript arithmetic bit for bit (ties, signs, large values, random)', { skip: !native && 'native add-on not built' }, () => {
  useEngine('native');
  try {
    const addon = nativeKernels()!;
    const grid = 3.0517578125e-5 * 1.000123, divisor = 32;
    const rng = new Rng(4);
    const special = [0, -0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, -0.3, 0.49999999999999994, -0.49999999999999994, 2 ** 49 + 0.5, -(2 ** 49) - 0.5, 2 ** 50 - 1, 1e-300];
    const f = Float64Array.from([...special.map((k) => k * grid), ...Array.from({ length: 100_000 }, () => rng.normal() * 0.05)]);
    const noise = Float64Array.from(f, (_, i) => (i % 7 === 0 ? 0 : Math.round(rng.normal() * 2 ** 20)));
    const got = new Float32Array(f.length);
    assert.equal(addon.gridRelease(f, noise, grid, divisor, got), -1);
    const want = Float32Array.from(f, (v, i) => ((Math.round(v / grid) + noise[i]!) * grid) / divisor);
    for (let i = 0; i < f.length; i++) assert.ok(Object.is(got[i], want[i]), `value ${i} (${f[i]! / grid} grid steps): ${got[i]} vs ${want[i]}`);
    // The first value off the grid's range is reported (2^50 steps, infinite, NaN).
    for (const [bad, at] of [[2 ** 50, 3], [Infinity, 0], [NaN, 99_000]] as const) {
      const g = f.slice();
      g[at] = bad * grid;
      if (at > 0) g[at + 5] = NaN;
      assert.equal(addon.gridRelease(g, noise, grid, divisor, got), at, `${bad} at ${at}`);
    }
    assert.throws(() => addon.gridRelease(f, noise.subarray(1), grid, divisor, got), /one length/);
  } finally {
    useEngine(null);
  }
});

for (const engine of ENGINES) {
  test(`releaseScaled on ${engine}: on the grid over the divisor, noise of standard deviation sigma * C, refusals`, () => {
    useEngine(engine);
    try {
      const plan = planGaussianGrid(0.5, 2, 60_000);
      const values = new Float64Array(plan.dimensions).map((_, i) => Math.sin(i) * 3);
      const m = new GaussianGridMechanism(plan);
      const out = m.releaseScaled(values, 8);
      const noise = new Float64Array(out.length);
      for (let i = 0; i < out.length; i++) {
        const steps = (out[i]! * 8) / plan.grid;
        assert.ok(Math.abs(steps - Math.round(steps)) < 1e-6 * Math.max(1, Math.abs(steps)) + 1e-3, `value ${i} is off the grid`);
        noise[i] = out[i]! * 8 - values[i]!;
      }
      const { mean, variance } = moments(noise);
      assertMeanNear(mean, 0, 1, noise.length, 'noise mean');
      assertMeanNear(Math.sqrt(variance), 1, Math.SQRT1_2, noise.length, 'noise std');
      const small = new GaussianGridMechanism(planGaussianGrid(1, 1, 3));
      assert.throws(() => small.releaseScaled(Float64Array.from([0, 0, Number.NaN]), 2), (e: unknown) => e instanceof PrivmedError && /index 2 is not finite/.test(e.message));
      assert.throws(() => small.releaseScaled(Float64Array.from([1e300, 0, 0]), 2), (e: unknown) => e instanceof PrivmedError && /index 0/.test(e.message));
      assert.throws(() => small.releaseScaled(new Float64Array(2), 2), /planned for 3 values/);
    } finally {
      useEngine(null);
    }
  });
}
