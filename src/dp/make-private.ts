/**
 * The one place privmed assembles DP-SGD, as Opacus's make_private: from a
 * model, the private data, a batch size and the privacy config it builds the
 * CSPRNG sampler the accountant assumes, per-sample gradients, clipping, the
 * noisy gradient step and the ledger charges. Local training, a federation
 * site and a user's own tfjs loop all call it.
 *
 *   const dp = makePrivate({ model, data, batchSize: 64, epochs: 10, privacy: { targetEpsilon: 8, ledger: 'ledger.sqlite' } });
 *   for await (const batch of dp.batches()) optimizer.applyGradients((await dp.step(batch)).grads);
 *   dp.epsilon();
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { z } from 'zod';
import { composeReleases, PrivacyLedger, type AccountantName, type ReleaseMechanism } from '../accounting/index.js';
import { parseWith } from '../common/config-file.js';
import { PrivmedError } from '../common/errors.js';
import type { Batch, Dataset } from '../data/dataset.js';
import type { BatchSource, GradientStep } from '../training/core.js';
import { weightedCrossEntropyPerSample, type PerSampleLoss } from '../training/loss.js';
import type { BatchLoss } from '../training/task.js';
import type * as tf from '@tensorflow/tfjs-core';
import { perSampleGradients, type BatchLabels } from './per-sample/per-sample.js';
import type { PerSampleMethod } from './per-sample/types.js';
import { PrivacySchema, type PrivacyConfig } from './privacy-config.js';
import { calibrateRemaining } from './sgd/calibrate-remaining.js';
import { planClipping, type ClipPlan, type ClipSpec } from './sgd/clipping.js';
import { dpSgdStep } from './sgd/dp-sgd-step.js';
import { loadViews } from './sgd/multiplicity.js';
import { createSampler, type DpSampler, type SubsampledGaussian } from './sgd/samplers.js';
import { validateForDp } from './validators/validate-model.js';

export type PrivacyOptions = z.input<typeof PrivacySchema>;

export interface MakePrivateOptions {
  readonly model: tfl.LayersModel;
  /** The private training data: its size sets the sample rate, batches are drawn from it. */
  readonly data: Dataset;
  /** Expected batch size (Poisson sampling) or the batch size (uniform). */
  readonly batchSize: number;
  /** The `privacy:` section; validated, defaults filled in. */
  readonly privacy: PrivacyOptions;
  /** What the noise is calibrated for when privacy.noiseMultiplier is not given: epochs, or a number of steps. */
  readonly epochs?: number;
  readonly steps?: number;
  /** Per-sample loss; default cross-entropy weighted by classWeights. */
  readonly loss?: PerSampleLoss;
  /** The labels the loss takes; default the class indices (a segmentation task gives its masks). */
  readonly labels?: BatchLabels;
  readonly classWeights?: readonly number[] | null;
  /** The ledger's name for this data; default privacy.site, else 'default'. */
  readonly site?: string;
  /** Where the config came from, for error messages ('privacy', 'site.privacy'). */
  readonly configPath?: string;
}

export interface PrivateTraining {
  readonly privacy: PrivacyConfig;
  readonly site: string;
  readonly ledgerPath: string;
  readonly sampler: DpSampler;
  /** Clipped per-sample gradients plus exact Gaussian noise from the CSPRNG. */
  readonly gradientStep: GradientStep;
  /** One DP-SGD step on the model: noisy gradients to apply, and the batch's mean loss (not private: keep it to yourself). */
  step(batch: Batch): Promise<{ loss: number; grads: tf.NamedTensorMap }>;
  readonly noiseMultiplier: number;
  /** True when the noise was calibrated to privacy.targetEpsilon. */
  readonly calibrated: boolean;
  readonly clip: ClipPlan;
  readonly perSampleMethod: PerSampleMethod;
  /** The ledger record of `steps` steps. */
  mechanism(steps: number): SubsampledGaussian;
  /** Charges `steps` steps before they run; refuses (nothing charged) when they would pass targetEpsilon. */
  charge(steps: number, note: string): SubsampledGaussian;
  /** The site's spent epsilon at privacy.delta, by the ledger. */
  epsilon(extra?: readonly ReleaseMechanism[]): number;
  /** Runs fn on the open ledger (opened per use: other processes may read or append between uses). */
  withLedger<T>(fn: (ledger: PrivacyLedger) => T): T;
  /** A batch source for the training core: sampler draws, stepsPerEpoch of them per epoch; charges nothing. */
  batchSource(): BatchSource;
  /** For a loop of one's own: `steps` batches (default one epoch), charged before the first is drawn. */
  batches(steps?: number): AsyncGenerator<Batch>;
}

/** Thrown when a charge would take the site past its targetEpsilon; nothing was charged. */
export class BudgetExceededError extends PrivmedError {
  constructor(
    message: string,
    readonly before: number,
    readonly after: number,
  ) {
    super(message, { hint: 'raise privacy.targetEpsilon, or train fewer steps' });
    this.name = 'BudgetExceededError';
  }
}

/** Opens the ledger file for one use, with the site's budget so appends beyond targetEpsilon are refused. */
export function withLedgerFile<T>(path: string, p: PrivacyConfig, site: string, fn: (ledger: PrivacyLedger) => T): T {
  mkdirSync(dirname(path), { recursive: true });
  const ledger = PrivacyLedger.open(path, {
    accountant: p.accountant === 'prv' ? 'prv' : 'rdp',
    ...(p.targetEpsilon !== undefined ? { siteBudgets: { [site]: { epsilon: p.targetEpsilon, delta: p.delta } } } : {}),
  });
  try {
    return fn(ledger);
  } finally {
    ledger.close();
  }
}

/** What DP-SGD refuses before anything is charged: layers that mix samples (BatchNorm), delta not below 1/n. */
export function checkPrivateSetup(model: tfl.LayersModel, n: number, p: PrivacyConfig, at: string): void {
  validateForDp(model);
  if (!(p.delta < 1 / n)) {
    throw new PrivmedError(`${at}.delta ${p.delta} is not below 1/n = ${1 / n} for ${n} training images`, {
      hint: 'delta is the chance the guarantee fails outright; keep it well below 1/n, e.g. 1e-5',
    });
  }
}

/** The DP step computes its own per-sample loss; the batch loss it is handed is never called. */
const unusedLoss: BatchLoss = () => {
  throw new PrivmedError('DP-SGD computes per-sample losses itself');
};

export function makePrivate(o: MakePrivateOptions): PrivateTraining {
  const at = o.configPath ?? 'privacy';
  const p: PrivacyConfig = parseWith(PrivacySchema, o.privacy, `${at} of makePrivate`);
  const n = o.data.length;
  checkPrivateSetup(o.model, n, p, at);
  const site = o.site ?? p.site ?? 'default';
  const ledgerPath = p.ledger ?? 'privacy-ledger.sqlite';
  const withLedger = <T>(fn: (ledger: PrivacyLedger) => T): T => withLedgerFile(ledgerPath, p, site, fn);
  const epsilonOf = (ledger: PrivacyLedger, extra: readonly ReleaseMechanism[]): number =>
    composeReleases([...ledger.entries(site).map((e) => e.mechanism), ...extra], p.delta, p.accountant as AccountantName).epsilon;

  const sampler = createSampler(p.sampling, n, o.batchSize);
  let noiseMultiplier = p.noiseMultiplier;
  const calibrated = noiseMultiplier === undefined;
  if (noiseMultiplier === undefined) {
    const steps = o.steps ?? (o.epochs ?? 0) * sampler.stepsPerEpoch;
    if (!(Number.isInteger(steps) && steps > 0)) throw new PrivmedError(`${at}: give noiseMultiplier, or the epochs or steps to calibrate the noise to targetEpsilon ${p.targetEpsilon}`);
    // What the site has already spent (e.g. its statistics release) is composed in.
    noiseMultiplier = withLedger((ledger) =>
      calibrateRemaining({
        past: ledger.entries(site).map((e) => e.mechanism),
        training: (sigma) => sampler.mechanism(sigma, steps),
        targetEpsilon: p.targetEpsilon!,
        delta: p.delta,
        accountant: p.accountant,
      }).noiseMultiplier,
    );
  }
  const sigma = noiseMultiplier;
  const perSample = perSampleGradients(o.model, o.loss ?? weightedCrossEntropyPerSample(o.classWeights ?? null), p.perSampleGradients, o.labels);
  const clipSpec: ClipSpec =
    typeof p.clipNorm === 'number' ? (p.clipping === 'flat' ? { kind: 'flat', norm: p.clipNorm } : { kind: 'per-layer', norm: p.clipNorm }) : { kind: 'per-layer', norms: p.clipNorm };
  const clip = planClipping(clipSpec, perSample.variables);
  const k = p.augmentationMultiplicity;
  const { gradientStep } = dpSgdStep({ perSample, clip, noiseMultiplier: sigma, expectedBatchSize: sampler.expectedBatchSize, multiplicity: k });
  withLedger(() => undefined); // a bad ledger path fails now, not at the first charge

  const charge = (steps: number, note: string): SubsampledGaussian => {
    const mechanism = sampler.mechanism(sigma, steps);
    return withLedger((ledger) => {
      if (p.targetEpsilon !== undefined) {
        const before = epsilonOf(ledger, []);
        const after = epsilonOf(ledger, [mechanism]);
        if (after > p.targetEpsilon) {
          throw new BudgetExceededError(`privacy budget of '${site}' (epsilon ${p.targetEpsilon} at delta ${p.delta}) would be exceeded`, before, after);
        }
      }
      ledger.append({ site, kind: 'dp-sgd', mechanism, note });
      return mechanism;
    });
  };
  return {
    privacy: p,
    site,
    ledgerPath,
    sampler,
    gradientStep,
    step: (batch) => gradientStep(batch, o.model, unusedLoss),
    noiseMultiplier: sigma,
    calibrated,
    clip,
    perSampleMethod: perSample.method,
    mechanism: (steps) => sampler.mechanism(sigma, steps),
    charge,
    epsilon: (extra = []) => withLedger((ledger) => epsilonOf(ledger, extra)),
    withLedger,
    batchSource: () => ({
      stepsPerEpoch: () => sampler.stepsPerEpoch,
      async *batches(train, _epoch, opts) {
        // Draws are independent of any data order, so resuming mid-epoch just draws the rest.
        for (let s = opts.skipBatches ?? 0; s < sampler.stepsPerEpoch; s++) yield await loadViews(train, sampler.drawBatch(), k, opts);
      },
    }),
    async *batches(steps = sampler.stepsPerEpoch) {
      charge(steps, `makePrivate: ${steps} steps`);
      for (let s = 0; s < steps; s++) yield await loadViews(o.data, sampler.drawBatch(), k);
    },
  };
}
