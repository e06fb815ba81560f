/**
 * `npm run bench -- accounting`: cost of privacy accounting for a typical
 * DP-SGD run (sigma 1.1, q 0.01, 10 000 steps, delta 1e-5) -- ms per epsilon
 * query for each accountant with RDP as the baseline, the epsilon each
 * reports (PRV's ratio to RDP is the budget its tighter bound saves), noise
 * calibration time, and privacy-ledger appends/s with a budget check each.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calibrateNoise, explainEpsilon, PrivacyLedger, type AccountantName, type MechanismEvent } from '../src/accounting/index.js';
import { medianMs, type Report } from './harness.js';

const RUN: MechanismEvent = { noiseMultiplier: 1.1, sampleRate: 0.01, steps: 10_000, sampling: 'poisson' };
const DELTA = 1e-5;

export async function benchAccounting(report: Report, opts: { quick?: boolean } = {}): Promise<void> {
  const runs = opts.quick ? 3 : 7;
  const ms: Partial<Record<AccountantName, number>> = {};
  const eps: Partial<Record<AccountantName, number>> = {};
  for (const name of ['rdp', 'gdp', 'prv'] as const) {
    ms[name] = await medianMs(() => void (eps[name] = explainEpsilon([RUN], DELTA, name).epsilon), runs);
  }
  report({ metric: 'rdp.epsilon_query', value: ms.rdp!, unit: 'ms' });
  report({ metric: 'gdp.epsilon_query', value: ms.gdp!, unit: 'ms', baseline: ms.rdp, baselineLabel: 'rdp' });
  report({ metric: 'prv.epsilon_query', value: ms.prv!, unit: 'ms', baseline: ms.rdp, baselineLabel: 'rdp' });
  report({ metric: 'rdp.epsilon', value: eps.rdp!, unit: 'eps' });
  report({ metric: 'prv.epsilon', value: eps.prv!, unit: 'eps', baseline: eps.rdp, baselineLabel: 'rdp', note: 'guaranteed upper bound' });
  report({ metric: 'gdp.epsilon', value: eps.gdp!, unit: 'eps', baseline: eps.rdp, baselineLabel: 'rdp', note: 'CLT approximation' });

  const calibrate = await medianMs(() => void calibrateNoise({ targetEpsilon: 8, delta: DELTA, sampleRate: 0.01, steps: 10_000 }), runs, 0);
  report({ metric: 'rdp.calibrate_noise', value: calibrate, unit: 'ms' });

  const dir = mkdtempSync(join(tmpdir(), 'privmed-bench-ledger-'));
  try {
    const ledger = PrivacyLedger.open(join(dir, 'ledger.sqlite'), { budget: { epsilon: 1e6, delta: DELTA } });
    const appends = opts.quick ? 100 : 500;
    const t0 = performance.now();
    for (let i = 0; i < appends; i++) {
      ledger.append({ site: `site-${i % 5}`, kind: 'dp-sgd', mechanism: { type: 'subsampled-gaussian', ...RUN, steps: 100 } });
    }
    const seconds = (performance.now() - t0) / 1000;
    ledger.close();
    report({ metric: 'ledger.appends', value: appends / seconds, unit: 'appends/s', note: 'budget check + fsync per append' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
