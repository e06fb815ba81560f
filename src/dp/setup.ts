/**
 * Everything a DP training run needs, from the `privacy:` config section:
 * model validation, the ledger, DP dataset statistics, the noise multiplier
 * (calibrated to the target over the whole run and what the dataset has
 * already spent), the sampler, per-sample gradients, the DP-SGD step and the
 * budget watchdog. runTraining hands the pieces to the trainer.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import { composeReleases, PrivacyLedger, type AccountantName } from '../accounting/index.js';
import { PrivmedError } from '../common/errors.js';
import type { PrivacyConfig } from '../config/train-config.js';
import type { Dataset } from '../data/dataset.js';
import type { ChannelStats } from '../data/preprocess/normalize.js';
import type { GradientStep } from '../training/trainer.js';
import { balancedClassWeights } from '../training/loss.js';
import { calibrateRemaining } from './calibrate-remaining.js';
import { planClipping, type ClipSpec } from './clipping.js';
import { dpSgdStep } from './dp-sgd-step.js';
import type { PrivacyListener } from './events.js';
import { runNote } from './ledger-charges.js';
import { perSampleGradients } from './per-sample.js';
import { weightedCrossEntropyPerSample } from './per-sample-loss.js';
import { openRunPlan, saveRunPlan } from './run-plan.js';
import { createSampler } from './samplers.js';
import { dpDatasetStatistics, DEFAULT_STATISTICS_MECHANISM } from './statistics.js';
import { validateForDp } from './validate-model.js';
import { PrivacyWatchdog } from './watchdog.js';

export interface DpTrainingOptions {
  readonly privacy: PrivacyConfig;
  readonly model: tfl.LayersModel;
  /** The private training data (statistics and sampling run over it). */
  readonly train: Dataset;
  /** Expected batch size (Poisson) or the batch size (uniform). */
  readonly batchSize: number;
  readonly epochs: number;
  readonly outputDir: string;
  /** Ledger site name when privacy.site is not set. */
  readonly defaultSite: string;
  readonly classWeights: 'none' | 'balanced' | readonly number[];
  readonly resume?: boolean;
  readonly onEvent?: PrivacyListener;
}

export interface PrivacyOutcome {
  readonly epsilon: number;
  readonly delta: number;
  readonly accountant: AccountantName;
  readonly noiseMultiplier: number;
  readonly site: string;
  readonly ledger: string;
  readonly stoppedByBudget: boolean;
}

export interface DpTraining {
  readonly gradientStep: GradientStep;
  readonly batchSource: PrivacyWatchdog;
  /** Normalisation from the DP statistics release. */
  readonly normalisation: ChannelStats;
  readonly noiseMultiplier: number;
  /** The spent (epsilon, delta) from the ledger; closes the ledger. */
  finish(): PrivacyOutcome;
}

export async function setupDpTraining(o: DpTrainingOptions): Promise<DpTraining> {
  const p = o.privacy;
  validateForDp(o.model);
  const n = o.train.length;
  if (!(p.delta < 1 / n)) {
    throw new PrivmedError(`privacy.delta ${p.delta} is not below 1/n = ${1 / n} for ${n} training images`, {
      hint: 'delta is the chance the guarantee fails outright; keep it well below 1/n, e.g. 1e-5',
    });
  }
  const site = p.site ?? o.defaultSite;
  const ledgerPath = p.ledger ?? join(o.outputDir, 'privacy-ledger.sqlite');
  const accountant = p.accountant;
  mkdirSync(o.outputDir, { recursive: true });
  mkdirSync(dirname(ledgerPath), { recursive: true });
  const ledger = PrivacyLedger.open(ledgerPath, {
    accountant: accountant === 'prv' ? 'prv' : 'rdp',
    ...(p.targetEpsilon !== undefined ? { siteBudgets: { [site]: { epsilon: p.targetEpsilon, delta: p.delta } } } : {}),
  });
  try {
    const { plan, resumed } = openRunPlan(o.outputDir, site, o.resume ?? false);
    const sampler = createSampler(p.sampling, n, o.batchSize);
    const spent = (): number => composeReleases(ledger.entries(site).map((e) => e.mechanism), p.delta, accountant).epsilon;

    if (!plan.statistics) {
      const stats = await dpDatasetStatistics(o.train, {
        ledger,
        site,
        mechanism: DEFAULT_STATISTICS_MECHANISM,
        neighbouring: p.sampling === 'uniform' ? 'replace' : 'add-remove',
        note: runNote(plan.runId, 'dataset statistics'),
        reuseCharge: resumed,
      });
      plan.statistics = { mean: stats.mean, std: stats.std, classCounts: stats.classCounts };
      saveRunPlan(o.outputDir, plan);
      o.onEvent?.({ type: 'privacy-statistics', epsilon: spent(), delta: p.delta, reused: false, message: `privacy: normalisation and class counts released with DP; ${site} has spent epsilon ${fmt(spent())}` });
    } else {
      o.onEvent?.({ type: 'privacy-statistics', epsilon: spent(), delta: p.delta, reused: true, message: 'privacy: reusing the DP statistics of this run' });
    }
    const statistics = plan.statistics;

    const totalSteps = o.epochs * sampler.stepsPerEpoch;
    let noiseMultiplier = plan.noiseMultiplier ?? p.noiseMultiplier;
    const calibrated = noiseMultiplier === undefined;
    if (noiseMultiplier === undefined) {
      // Calibrated once per run: on resume the ledger already holds part of the run.
      noiseMultiplier = calibrateRemaining({
        past: ledger.entries(site).map((e) => e.mechanism),
        training: (sigma) => sampler.mechanism(sigma, totalSteps),
        targetEpsilon: p.targetEpsilon!,
        delta: p.delta,
        accountant,
      }).noiseMultiplier;
    }
    plan.noiseMultiplier = noiseMultiplier;
    saveRunPlan(o.outputDir, plan);

    const weights = o.classWeights === 'none' ? null : o.classWeights === 'balanced' ? balancedClassWeights(statistics.classCounts) : [...o.classWeights];
    const perSample = perSampleGradients(o.model, weightedCrossEntropyPerSample(weights), p.perSampleGradients);
    const clipSpec: ClipSpec =
      typeof p.clipNorm === 'number' ? (p.clipping === 'flat' ? { kind: 'flat', norm: p.clipNorm } : { kind: 'per-layer', norm: p.clipNorm }) : { kind: 'per-layer', norms: p.clipNorm };
    const clip = planClipping(clipSpec, perSample.variables);
    const step = dpSgdStep({ perSample, clip, noiseMultiplier, expectedBatchSize: sampler.expectedBatchSize });
    const watchdog = new PrivacyWatchdog({
      ledger,
      site,
      runId: plan.runId,
      sampler,
      noiseMultiplier,
      delta: p.delta,
      accountant,
      outputDir: o.outputDir,
      ...(p.targetEpsilon !== undefined ? { targetEpsilon: p.targetEpsilon } : {}),
      ...(o.onEvent ? { onEvent: o.onEvent } : {}),
    });
    o.onEvent?.({
      type: 'privacy-plan',
      noiseMultiplier,
      calibrated,
      clipNorm: clip.sensitivity,
      sampling: sampler.sampling,
      sampleRate: sampler.sampleRate,
      stepsPerEpoch: sampler.stepsPerEpoch,
      perSampleGradients: perSample.method,
      message:
        `privacy: DP-SGD with noise multiplier ${fmt(noiseMultiplier)}` +
        (calibrated ? ` (calibrated: epsilon ${p.targetEpsilon} at delta ${p.delta} over ${o.epochs} epochs, ${accountant} accountant)` : '') +
        `, clipping ${clip.groupNames.length > 1 ? `per layer (total ${fmt(clip.sensitivity)})` : `norm ${fmt(clip.sensitivity)}`}, ` +
        `${sampler.sampling} sampling at rate ${fmt(sampler.sampleRate)}, ${sampler.stepsPerEpoch} steps/epoch, per-sample gradients: ${perSample.method}`,
    });
    return {
      gradientStep: step.gradientStep,
      batchSource: watchdog,
      normalisation: { mean: statistics.mean, std: statistics.std },
      noiseMultiplier,
      finish() {
        const epsilon = spent();
        ledger.close();
        return { epsilon, delta: p.delta, accountant, noiseMultiplier: noiseMultiplier!, site, ledger: ledgerPath, stoppedByBudget: watchdog.stoppedByBudget };
      },
    };
  } catch (err) {
    ledger.close();
    throw err;
  }
}

function fmt(x: number): string {
  return Number(x.toPrecision(4)).toString();
}
