/**
 * DP-SGD at a hospital node. Each fit is one release of the node's training
 * data: its steps are charged to the node's own privacy ledger BEFORE any
 * step runs (append first, release after), and a fit that would exceed the
 * node's budget (targetEpsilon) is refused. The coordinator learns the
 * mechanism (noise multiplier, sample rate, steps, sampling) from the fit
 * metrics, so its federation ledger can charge the same release.
 *
 * The noise multiplier is fixed (privacy.noiseMultiplier, required here): a
 * node does not know how many rounds the coordinator will run, so
 * targetEpsilon is the budget that ends its participation, not a calibration
 * target. The dataset size n is treated as public (q = batchSize / n), as in
 * every DP-SGD accounting; numSamples is the expected count steps * q * n.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import { composeReleases, PrivacyLedger, type ReleaseMechanism } from '../../accounting/index.js';
import { PrivmedError } from '../../common/errors.js';
import type { PrivacyConfig } from '../../config/train-config.js';
import type { Dataset } from '../../data/dataset.js';
import { createSampler, dpSgdStep, perSampleGradients, planClipping, validateForDp, weightedCrossEntropyPerSample, type DpSampler } from '../../dp/index.js';
import type { ClipSpec } from '../../dp/clipping.js';
import type { GradientStep } from '../../training/trainer.js';
import type { FitConfig } from '../wire/fit-config.js';
import { FitRefused } from './local-trainer.js';

export interface NodePrivacyOptions {
  readonly privacy: PrivacyConfig;
  /** The node's ledger file. */
  readonly ledger: string;
  /** The name the node's data is charged under. */
  readonly site: string;
}

/** Fit metrics can hold numbers only: sampling travels as 0 (poisson) or 1 (uniform). */
export const SAMPLING_CODE = { poisson: 0, uniform: 1 } as const;

/** The fit config keys a coordinator with a `privacy:` section sends: the weakest mechanism it accepts. */
export const DP_FIT_KEYS = { noiseMultiplier: 'dpNoiseMultiplier', maxSampleRate: 'dpMaxSampleRate', maxSteps: 'dpMaxSteps', sampling: 'dpSampling' } as const;

export class NodePrivacy {
  readonly sampler: DpSampler;
  readonly gradientStep: GradientStep;
  readonly noiseMultiplier: number;

  constructor(
    private readonly o: NodePrivacyOptions,
    model: tfl.LayersModel,
    train: Dataset,
    batchSize: number,
    classWeights: readonly number[] | null,
  ) {
    const p = o.privacy;
    if (p.noiseMultiplier === undefined) {
      throw new PrivmedError('site.privacy: a federation node needs noiseMultiplier', { hint: 'set site.privacy.noiseMultiplier (e.g. 1.0); targetEpsilon is the budget that ends the node\'s participation' });
    }
    validateForDp(model);
    const n = train.length;
    if (!(p.delta < 1 / n)) {
      throw new PrivmedError(`site.privacy.delta ${p.delta} is not below 1/n = ${1 / n} for ${n} training images`, { hint: 'keep delta well below 1/n, e.g. 1e-5' });
    }
    this.noiseMultiplier = p.noiseMultiplier;
    this.sampler = createSampler(p.sampling, n, Math.min(batchSize, n));
    const perSample = perSampleGradients(model, weightedCrossEntropyPerSample(classWeights), p.perSampleGradients);
    const clipSpec: ClipSpec =
      typeof p.clipNorm === 'number' ? (p.clipping === 'flat' ? { kind: 'flat', norm: p.clipNorm } : { kind: 'per-layer', norm: p.clipNorm }) : { kind: 'per-layer', norms: p.clipNorm };
    const clip = planClipping(clipSpec, perSample.variables);
    this.gradientStep = dpSgdStep({ perSample, clip, noiseMultiplier: p.noiseMultiplier, expectedBatchSize: this.sampler.expectedBatchSize }).gradientStep;
    mkdirSync(dirname(o.ledger), { recursive: true });
    this.withLedger(() => undefined); // creates the ledger now: a bad path fails at start-up, not in round 1
  }

  /** DP-SGD steps of this fit: localEpochs * steps per epoch, or syncEveryNBatches. */
  stepsFor(config: FitConfig): number {
    return config.syncEveryNBatches ?? (config.localEpochs ?? 1) * this.sampler.stepsPerEpoch;
  }

  /**
   * Charges `steps` to the ledger before they run. Throws FitRefused when the
   * budget would be exceeded or the coordinator asks for a stronger mechanism
   * than this node runs (nothing is charged then).
   */
  charge(config: FitConfig, steps: number): ReleaseMechanism {
    const p = this.o.privacy;
    const mechanism = this.sampler.mechanism(this.noiseMultiplier, steps);
    this.checkRequested(config, mechanism);
    return this.withLedger((ledger) => {
      if (p.targetEpsilon !== undefined) {
        const past = ledger.entries(this.o.site).map((e) => e.mechanism);
        const before = composeReleases(past, p.delta, p.accountant).epsilon;
        const after = composeReleases([...past, mechanism], p.delta, p.accountant).epsilon;
        if (after > p.targetEpsilon) {
          throw new FitRefused(
            `privacy budget of '${this.o.site}' (epsilon ${p.targetEpsilon} at delta ${p.delta}) would be exceeded by round ${config.round}: ` +
              `${steps} DP-SGD steps would bring it from epsilon ${fmt(before)} to ${fmt(after)}; the node trains no more`,
            { hint: 'raise site.privacy.targetEpsilon with the data protection officer, or leave this node out' },
          );
        }
      }
      ledger.append({ site: this.o.site, kind: 'dp-sgd', mechanism, note: `federated round ${config.round}: ${steps} steps` });
      return mechanism;
    });
  }

  /** The node's spent epsilon at its delta, by its ledger. */
  epsilon(): number {
    const p = this.o.privacy;
    return this.withLedger((ledger) => composeReleases(ledger.entries(this.o.site).map((e) => e.mechanism), p.delta, p.accountant).epsilon);
  }

  /** What the coordinator's federation ledger needs, as fit metrics. */
  metrics(steps: number): Record<string, number> {
    return {
      epsilon: this.epsilon(),
      dpDelta: this.o.privacy.delta,
      dpNoiseMultiplier: this.noiseMultiplier,
      dpSampleRate: this.sampler.sampleRate,
      dpSteps: steps,
      dpSampling: SAMPLING_CODE[this.sampler.sampling],
    };
  }

  /** A coordinator that charges declared parameters (secure aggregation) must never under-charge. */
  private checkRequested(config: FitConfig, m: Extract<ReleaseMechanism, { type: 'subsampled-gaussian' }>): void {
    const sigma = config[DP_FIT_KEYS.noiseMultiplier];
    const q = config[DP_FIT_KEYS.maxSampleRate];
    const steps = config[DP_FIT_KEYS.maxSteps];
    const sampling = config[DP_FIT_KEYS.sampling];
    const problems: string[] = [];
    if (typeof sigma === 'number' && m.noiseMultiplier < sigma) problems.push(`noise multiplier ${m.noiseMultiplier} < ${sigma}`);
    if (typeof q === 'number' && m.sampleRate > q) problems.push(`sample rate ${fmt(m.sampleRate)} > ${q}`);
    if (typeof steps === 'number' && m.steps > steps) problems.push(`${m.steps} steps > ${steps}`);
    if (typeof sampling === 'string' && sampling !== m.sampling) problems.push(`${m.sampling} sampling, not ${sampling}`);
    if (problems.length) {
      throw new FitRefused(`the coordinator accounts for a stronger privacy mechanism than this node runs (${problems.join(', ')})`, {
        hint: 'make site.privacy (noiseMultiplier, batchSize, sampling) and the fit config match the coordinator\'s privacy: section',
      });
    }
  }

  private withLedger<T>(fn: (ledger: PrivacyLedger) => T): T {
    return withNodeLedger(this.o, fn);
  }
}

/** Opens the node's ledger (with its budget, so appends beyond targetEpsilon are refused) for one use. */
export function withNodeLedger<T>(o: NodePrivacyOptions, fn: (ledger: PrivacyLedger) => T): T {
  const p = o.privacy;
  const ledger = PrivacyLedger.open(o.ledger, {
    accountant: p.accountant === 'prv' ? 'prv' : 'rdp',
    ...(p.targetEpsilon !== undefined ? { siteBudgets: { [o.site]: { epsilon: p.targetEpsilon, delta: p.delta } } } : {}),
  });
  try {
    return fn(ledger);
  } finally {
    ledger.close();
  }
}

function fmt(x: number): string {
  return Number(x.toPrecision(4)).toString();
}
