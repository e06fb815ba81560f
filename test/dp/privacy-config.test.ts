import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWith } from '../../src/common/config-file.js';
import { TrainConfigSchema } from '../../src/site/train-config.js';

const parse = (privacy: unknown) => parseWith(TrainConfigSchema, { privacy }, 'run.yaml').privacy;

test('the privacy section: absent means no DP; present gets the documented defaults', () => {
  assert.equal(parseWith(TrainConfigSchema, {}).privacy, undefined);
  assert.deepEqual(parse({ targetEpsilon: 8 }), {
    targetEpsilon: 8,
    delta: 1e-5,
    clipNorm: 1,
    clipping: 'flat',
    sampling: 'poisson',
    accountant: 'rdp',
    perSampleGradients: 'auto',
    augmentationMultiplicity: 1,
    statisticsShare: 0.1,
  });
  assert.deepEqual(parse({ noiseMultiplier: 1.1, clipping: 'per-layer', clipNorm: { conv: 0.5, fc: 1 }, sampling: 'uniform', ledger: 'l.sqlite', site: 'hospital-a' }), {
    noiseMultiplier: 1.1,
    delta: 1e-5,
    clipNorm: { conv: 0.5, fc: 1 },
    clipping: 'per-layer',
    sampling: 'uniform',
    accountant: 'rdp',
    perSampleGradients: 'auto',
    augmentationMultiplicity: 1,
    statisticsShare: 0.1,
    ledger: 'l.sqlite',
    site: 'hospital-a',
  });
});

test('privacy config errors name the key and what to give', () => {
  assert.throws(() => parse({}), /config key 'privacy': expected targetEpsilon or noiseMultiplier \(or both\)/);
  assert.throws(() => parse({ targetEpsilon: 8, accountant: 'gdp' }), /config key 'privacy\.accountant': expected 'rdp' or 'prv' when targetEpsilon is set, got "gdp"/);
  assert.throws(() => parse({ noiseMultiplier: 1, clipNorm: { fc: 1 } }), /config key 'privacy\.clipping': expected 'per-layer' when clipNorm gives a bound per layer, got "flat"/);
  assert.throws(() => parse({ noiseMultiplier: 1, perSampleGradients: 'fast' }), /privacy\.perSampleGradients/);
  assert.throws(() => parse({ noiseMultiplier: 1, epsilon: 3 }), /config key 'privacy\.epsilon': unknown key/);
  assert.throws(() => parse({ noiseMultiplier: 1, delta: 1 }), /privacy\.delta/);
});
