/**
 * Everything a DP training run needs, from the `privacy:` config section:
 * model validation, the ledger, DP dataset statistics, the noise multiplier
 * (calibrated to the target over the whole run and what the dataset has
 * already spent), the sampler, per-sample gradients, the DP-SGD step and the
 * budget watchdog. runTraining hands the pieces to the trainer.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import { composeReleases, PrivacyLedger, type AccountantName } from '../accounting/index.js';
import type { Dataset } from '../data/dataset.js';
import type { ChannelStats } from '../data/preprocess/normalize.js';
import type { GradientStep } from '../training/core.js';
import { balancedClassWeights, type PerSampleLoss } from '../training/loss.js';
import type { BatchLabels } from './per-sample/types.js';
import type { PrivacyEvent, PrivacyListener } from './events.js';
import { runNote } from './ledger-charges.js';
import { checkPrivateSetup, makePrivate, type PrivateTraining } from './make-private.js';
import type { PrivacyConfig } from './privacy-config.js';
import { openRunPlan, runPlanPath, saveRunPlan } from './sgd/run-plan.js';
import { PrivacyWatchdog } from './sgd/watchdog.js';
import { dpDatasetStatistics } from './statistics/dataset-statistics.js';
import { statisticsNoiseMultiplier } from './statistics/statistics-budget.js';
import { flooredWarning } from './statistics/exact-sums.js';

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
  /** A task's own per-sample loss and labels (segmentation); default class-weighted cross-entropy on class indices. */
  readonly loss?: PerSampleLoss;
  readonly labels?: BatchLabels;
  readonly resume?: boolean;
  readonly onEvent?: PrivacyListener;
  /**
   * Release DP normalisation and class counts first (default true). A task that normalises each
   * case on its own and weighs no classes (segmentation) needs neither: false spends nothing on them.
   */
  readonly statistics?: boolean;
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
  const site = p.site ?? o.defaultSite;
  const ledgerPath = p.ledger ?? join(o.outputDir, 'privacy-ledger.sqlite');
  // Nothing is charged for a model or delta DP-SGD would refuse.
  checkPrivateSetup(o.model, o.train.length, p, 'privacy');
  mkdirSync(o.outputDir, { recursive: true });
  const ledger = PrivacyLedger.open(ledgerPath, {
    accountant: p.accountant === 'prv' ? 'prv' : 'rdp',
    ...(p.targetEpsilon !== undefined ? { siteBudgets: { [site]: { epsilon: p.targetEpsilon, delta: p.delta } } } : {}),
  });
  try {
    const { plan, resumed } = openRunPlan(o.outputDir, site, o.resume ?? false);
    // A deleted, truncated or rewritten ledger would forget what this run already spent: refuse it.
    if (resumed && plan.ledgerHead) ledger.verifyExtends(plan.ledgerHead, runPlanPath(o.outputDir));
    const recordHead = (): void => {
      plan.ledgerHead = ledger.head();
      saveRunPlan(o.outputDir, plan);
    };
    const spent = (): number => composeReleases(ledger.entries(site).map((e) => e.mechanism), p.delta, p.accountant).epsilon;
    // The statistics release comes first: its class counts set the loss weights, and its charge enters the calibration.
    if (!plan.statistics && o.statistics === false) {
      plan.statistics = { mean: [0], std: [1], classCounts: [] };
      recordHead();
      o.onEvent?.({ type: 'privacy-statistics', epsilon: spent(), delta: p.delta, reused: false, message: 'privacy: no dataset statistics released (none needed: the whole budget goes to DP-SGD)' });
    } else if (!plan.statistics) {
      const stats = await dpDatasetStatistics(o.train, {
        ledger,
        site,
        mechanism: { type: 'gaussian', noiseMultiplier: statisticsNoiseMultiplier(p) },
        neighbouring: p.sampling === 'uniform' ? 'replace' : 'add-remove',
        note: runNote(plan.runId, 'dataset statistics'),
        reuseCharge: resumed,
      });
      plan.statistics = { mean: stats.mean, std: stats.std, classCounts: stats.classCounts };
      recordHead();
      const warning = flooredWarning(stats, `privacy: DP statistics of ${site}`);
      o.onEvent?.({
        type: 'privacy-statistics',
        epsilon: spent(),
        delta: p.delta,
        reused: false,
        message: `privacy: normalisation and class counts released with DP; ${site} has spent epsilon ${fmt(spent())}${warning ? `\nWARNING: ${warning}` : ''}`,
      });
    } else {
      o.onEvent?.({ type: 'privacy-statistics', epsilon: spent(), delta: p.delta, reused: true, message: 'privacy: reusing the DP statistics of this run' });
    }
    const statistics = plan.statistics;
    const classWeights = o.classWeights === 'none' ? null : o.classWeights === 'balanced' ? balancedClassWeights(statistics.classCounts) : [...o.classWeights];
    // Calibrated once per run: on resume the ledger already holds part of the run, so the plan's noise is kept.
    const noiseMultiplier = plan.noiseMultiplier ?? p.noiseMultiplier;
    const dp = makePrivate({ model: o.model, data: o.train, batchSize: o.batchSize, site, epochs: o.epochs, classWeights, ...(o.loss ? { loss: o.loss } : {}), ...(o.labels ? { labels: o.labels } : {}), privacy: { ...p, ledger: ledgerPath, ...(noiseMultiplier !== undefined ? { noiseMultiplier } : {}) } });
    const calibrated = plan.noiseMultiplier === undefined && p.noiseMultiplier === undefined;
    plan.noiseMultiplier = dp.noiseMultiplier;
    saveRunPlan(o.outputDir, plan);
    const watchdog = new PrivacyWatchdog({
      multiplicity: p.augmentationMultiplicity,
      ledger,
      site,
      runId: plan.runId,
      sampler: dp.sampler,
      noiseMultiplier: dp.noiseMultiplier,
      delta: p.delta,
      accountant: p.accountant,
      outputDir: o.outputDir,
      ...(p.targetEpsilon !== undefined ? { targetEpsilon: p.targetEpsilon } : {}),
      ...(o.onEvent ? { onEvent: o.onEvent } : {}),
      onCharged: recordHead,
    });
    o.onEvent?.(planEvent(dp, calibrated, o.epochs));
    const sigma = dp.noiseMultiplier;
    return {
      gradientStep: dp.gradientStep,
      batchSource: watchdog,
      normalisation: { mean: statistics.mean, std: statistics.std },
      noiseMultiplier: sigma,
      finish() {
        const epsilon = spent();
        ledger.close();
        return { epsilon, delta: p.delta, accountant: p.accountant, noiseMultiplier: sigma, site, ledger: ledgerPath, stoppedByBudget: watchdog.stoppedByBudget };
      },
    };
  } catch (err) {
    ledger.close();
    throw err;
  }
}

/** Above this a run is warned at its start: the guarantee is weak. */
const EPSILON_WARNING = 10;

/** With a fixed noise: what the planned epochs will cost, when that is over the budget or above epsilon 10. */
function planWarning(dp: PrivateTraining, epochs: number): string {
  const p = dp.privacy;
  const perEpoch = dp.sampler.stepsPerEpoch;
  const projected = dp.epsilon([dp.mechanism(epochs * perEpoch)]);
  if (p.targetEpsilon !== undefined && projected > p.targetEpsilon) {
    let affordable = 0;
    while (affordable < epochs && dp.epsilon([dp.mechanism((affordable + 1) * perEpoch)]) <= p.targetEpsilon) affordable++;
    return (
      `\nWARNING: privacy: ${epochs} epochs at noise multiplier ${fmt(dp.noiseMultiplier)} would reach epsilon ${fmt(projected)}, over the budget of ${p.targetEpsilon}: ` +
      `it covers ${affordable} full epoch(s) and training stops during epoch ${affordable + 1}. To train whole epochs only, set training.epochs to ${affordable}, or leave privacy.noiseMultiplier out so privmed calibrates the noise to the budget.`
    );
  }
  if (projected > EPSILON_WARNING) {
    return `\nWARNING: privacy: ${epochs} epochs will reach epsilon ${fmt(projected)} at delta ${p.delta}, above ${EPSILON_WARNING}: a weak guarantee; set privacy.targetEpsilon (without noiseMultiplier) to calibrate the noise to a budget.`;
  }
  return '';
}

function planEvent(dp: PrivateTraining, calibrated: boolean, epochs: number): PrivacyEvent {
  const { privacy: p, sampler, clip } = dp;
  return {
    type: 'privacy-plan',
    noiseMultiplier: dp.noiseMultiplier,
    calibrated,
    clipNorm: clip.sensitivity,
    sampling: sampler.sampling,
    sampleRate: sampler.sampleRate,
    stepsPerEpoch: sampler.stepsPerEpoch,
    perSampleGradients: dp.perSampleMethod,
    message:
      `privacy: DP-SGD with noise multiplier ${fmt(dp.noiseMultiplier)}` +
      (calibrated ? ` (calibrated: epsilon ${p.targetEpsilon} at delta ${p.delta} over ${epochs} epochs, ${p.accountant} accountant)` : '') +
      `, clipping ${clip.groupNames.length > 1 ? `per layer (total ${fmt(clip.sensitivity)})` : `norm ${fmt(clip.sensitivity)}`}, ` +
      `${sampler.sampling} sampling at rate ${fmt(sampler.sampleRate)}, ${sampler.stepsPerEpoch} steps/epoch, per-sample gradients: ${dp.perSampleMethod}` +
      (p.augmentationMultiplicity > 1 ? `, ${p.augmentationMultiplicity} augmented views per image` : '') +
      (calibrated ? '' : planWarning(dp, epochs)),
  };
}

function fmt(x: number): string {
  return Number(x.toPrecision(4)).toString();
}
