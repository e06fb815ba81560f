/**
 * Budgets by default: the dataset-statistics release takes at most its share
 * of a small budget (its noise is raised to fit), and what a DP site reports
 * beside a hidden update is only its epsilon and delta, rounded up.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { composeReleases } from '../../src/accounting/index.js';
import { gaussianReleaseEpsilon, statisticsNoiseMultiplier } from '../../src/dp/statistics/statistics-budget.js';
import { publicPrivacyMetrics, publicPrivacyProblem } from '../../src/site/fit-config.js';
import { PrivacySchema } from '../../src/dp/privacy-config.js';

describe('the statistics release within a budget', () => {
  it('keeps the default noise (10) when the budget is large, and raises it to fit 10% of a small one', () => {
    assert.equal(statisticsNoiseMultiplier({ targetEpsilon: 8, delta: 1e-5, statisticsShare: 0.1 }), 10);
    assert.equal(statisticsNoiseMultiplier({ delta: 1e-5, statisticsShare: 0.1 }), 10, 'no budget: the default');
    for (const target of [0.5, 1, 2]) {
      const sigma = statisticsNoiseMultiplier({ targetEpsilon: target, delta: 1e-5, statisticsShare: 0.1 });
      assert.ok(sigma > 10, `target ${target}: sigma ${sigma}`);
      assert.ok(gaussianReleaseEpsilon(sigma, 1e-5, 'prv') <= 0.1 * target, `target ${target}: the release costs at most its share`);
      // Not wastefully large: 5% less noise would cost more than the share.
      assert.ok(gaussianReleaseEpsilon(sigma * 0.95, 1e-5, 'prv') > 0.1 * target, `target ${target}: sigma ${sigma} is near the smallest that fits`);
    }
    // A smaller budget needs more noise.
    assert.ok(statisticsNoiseMultiplier({ targetEpsilon: 0.5, delta: 1e-5, statisticsShare: 0.1 }) > statisticsNoiseMultiplier({ targetEpsilon: 1, delta: 1e-5, statisticsShare: 0.1 }));
  });

  it('composes with DP-SGD into a total the budget covers (the share is of the whole, under the RDP ledger too)', () => {
    const sigma = statisticsNoiseMultiplier({ targetEpsilon: 1, delta: 1e-5, statisticsShare: 0.1 });
    const withStats = composeReleases([{ type: 'gaussian', sensitivity: 1, noiseStd: sigma }, { type: 'subsampled-gaussian', noiseMultiplier: 3, sampleRate: 0.05, steps: 180, sampling: 'poisson' }], 1e-5, 'rdp').epsilon;
    const without = composeReleases([{ type: 'subsampled-gaussian', noiseMultiplier: 3, sampleRate: 0.05, steps: 180, sampling: 'poisson' }], 1e-5, 'rdp').epsilon;
    assert.ok(withStats - without < 0.1, `the release adds ${withStats - without} to the composed epsilon`);
  });

  it('validates the share in the privacy section', () => {
    assert.equal(PrivacySchema.parse({ targetEpsilon: 1 }).statisticsShare, 0.1);
    assert.throws(() => PrivacySchema.parse({ targetEpsilon: 1, statisticsShare: 1 }));
    assert.equal(PrivacySchema.parse({ targetEpsilon: 1 }).augmentationMultiplicity, 1);
    assert.throws(() => PrivacySchema.parse({ targetEpsilon: 1, augmentationMultiplicity: 0 }));
  });
});

describe("a site's public privacy report", () => {
  it('carries only epsilon and delta, epsilon rounded up to 3 significant digits', () => {
    const m = publicPrivacyMetrics({ epsilon: 1.23456, dpDelta: 1e-5, dpNoiseMultiplier: 2.1, dpSampleRate: 0.0317, dpSteps: 40, loss: 0.3 });
    assert.deepEqual(m, { epsilon: 1.24, dpDelta: 1e-5 });
    assert.deepEqual(publicPrivacyMetrics({ loss: 0.3 }), {}, 'a run without DP reports nothing');
    assert.equal(publicPrivacyMetrics({ epsilon: 7.99, dpDelta: 1e-5 }).epsilon, 7.99, 'an exact value stays');
  });

  it('refuses anything else, and malformed values, from a remote node', () => {
    assert.equal(publicPrivacyProblem({ epsilon: 1.24, dpDelta: 1e-5 }), null);
    assert.equal(publicPrivacyProblem({}), null);
    assert.match(publicPrivacyProblem({ epsilon: 1, dpDelta: 1e-5, numSamples: 400 })!, /only epsilon and dpDelta may travel beside a hidden update, got numSamples/);
    assert.match(publicPrivacyProblem({ epsilon: -1, dpDelta: 1e-5 })!, /epsilon must be a finite number >= 0, got -1/);
    assert.match(publicPrivacyProblem({ epsilon: Number.NaN, dpDelta: 1e-5 })!, /epsilon must be a finite number/);
    assert.match(publicPrivacyProblem({ epsilon: 1, dpDelta: 2 })!, /dpDelta must lie in \(0, 1\), got 2/);
    assert.match(publicPrivacyProblem({ epsilon: 1 })!, /travel together/);
  });
});
