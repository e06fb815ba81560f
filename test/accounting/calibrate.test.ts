import { test } from 'node:test';
import assert from 'node:assert/strict';
import { calibrateNoise } from '../../src/accounting/calibrate.js';
import { RdpAccountant } from '../../src/accounting/rdp.js';
import { PrivmedError } from '../../src/common/errors.js';

test('RDP calibration matches Opacus get_noise_multiplier: eps 8, delta 1e-5, q 0.04', () => {
  const epochs = calibrateNoise({ targetEpsilon: 8, delta: 1e-5, sampleRate: 0.04, epochs: 90 });
  assert.equal(epochs.steps, 2250);
  assert.ok(Math.abs(epochs.noiseMultiplier - 1.416) < 5e-5, `got ${epochs.noiseMultiplier}`);
  const steps = calibrateNoise({ targetEpsilon: 8, delta: 1e-5, sampleRate: 0.04, steps: 2000 });
  assert.ok(Math.abs(steps.noiseMultiplier - 1.3562) < 5e-5, `got ${steps.noiseMultiplier}`);
});

test('GDP calibration matches Opacus bit for bit: 90 epochs at q 0.04 -> 1.3232421875', () => {
  const r = calibrateNoise({ targetEpsilon: 8, delta: 1e-5, sampleRate: 0.04, epochs: 90, accountant: 'gdp' });
  assert.equal(r.noiseMultiplier, 1.3232421875);
});

test('the calibrated noise meets the target, and 1% less noise does not', () => {
  const target = { targetEpsilon: 3, delta: 1e-6, sampleRate: 0.01, steps: 5000 };
  const { noiseMultiplier, epsilon } = calibrateNoise(target);
  const epsAt = (s: number) => new RdpAccountant().step({ noiseMultiplier: s, sampleRate: 0.01 }, 5000).getEpsilon(1e-6);
  assert.equal(epsAt(noiseMultiplier), epsilon);
  assert.ok(epsilon <= 3 && epsilon > 3 - 0.01);
  assert.ok(epsAt(noiseMultiplier * 0.99) > 3 - 0.01);
});

test('calibration refuses impossible or ill-posed targets', () => {
  assert.throws(() => calibrateNoise({ targetEpsilon: 8, delta: 1e-5, sampleRate: 0.04 }), /either steps or epochs/);
  assert.throws(() => calibrateNoise({ targetEpsilon: 8, delta: 1e-5, sampleRate: 0.04, steps: 1, epochs: 1 }), PrivmedError);
  assert.throws(() => calibrateNoise({ targetEpsilon: -1, delta: 1e-5, sampleRate: 0.04, steps: 10 }), PrivmedError);
  assert.throws(() => calibrateNoise({ targetEpsilon: 1, delta: 2, sampleRate: 0.04, steps: 10 }), /delta must be in/);
  assert.throws(() => calibrateNoise({ targetEpsilon: 1e-9, delta: 1e-10, sampleRate: 1, steps: 1e6 }), /no noise multiplier up to/);
});
