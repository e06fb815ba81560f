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
import type * as tfl from '@tensorflow/tfjs-layers';
import type { PrivacyLedger, ReleaseMechanism } from '../accounting/index.js';
import { PrivmedError } from '../common/errors.js';
import type { Dataset } from '../data/dataset.js';
import { BudgetExceededError, makePrivate, withLedgerFile, type PrivateTraining } from '../dp/make-private.js';
import type { PrivacyConfig } from '../dp/privacy-config.js';
import type { DpSampler } from '../dp/sgd/samplers.js';
import type { BatchSource, GradientStep } from '../training/core.js';
import { DP_FIT_KEYS, mechanismMetrics, type FitConfig } from './fit-config.js';
import { FitRefused } from './local-trainer.js';

export interface NodePrivacyOptions {
  readonly privacy: PrivacyConfig;
  /** The node's ledger file. */
  readonly ledger: string;
  /** The name the node's data is charged under. */
  readonly site: string;
}

export class NodePrivacy {
  readonly sampler: DpSampler;
  readonly gradientStep: GradientStep;
  readonly noiseMultiplier: number;
  private readonly dp: PrivateTraining;

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
    this.dp = makePrivate({ model, data: train, batchSize: Math.min(batchSize, train.length), classWeights, site: o.site, privacy: { ...p, ledger: o.ledger }, configPath: 'site.privacy' });
    this.noiseMultiplier = this.dp.noiseMultiplier;
    this.sampler = this.dp.sampler;
    this.gradientStep = this.dp.gradientStep;
  }

  /** The DP sampler's batches for the training core. */
  batchSource(): BatchSource {
    return this.dp.batchSource();
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
    this.checkRequested(config, this.dp.mechanism(steps));
    try {
      return this.dp.charge(steps, `federated round ${config.round}: ${steps} steps`);
    } catch (err) {
      if (!(err instanceof BudgetExceededError)) throw err;
      const p = this.o.privacy;
      throw new FitRefused(
        `privacy budget of '${this.o.site}' (epsilon ${p.targetEpsilon} at delta ${p.delta}) would be exceeded by round ${config.round}: ` +
          `${steps} DP-SGD steps would bring it from epsilon ${fmt(err.before)} to ${fmt(err.after)}; the node trains no more`,
        { hint: 'raise site.privacy.targetEpsilon with the data protection officer, or leave this node out' },
      );
    }
  }

  /** The node's spent epsilon at its delta, by its ledger. */
  epsilon(): number {
    return this.dp.epsilon();
  }

  /** What the coordinator's federation ledger needs, as fit metrics. */
  metrics(steps: number): Record<string, number> {
    return mechanismMetrics(this.dp.mechanism(steps), this.epsilon(), this.o.privacy.delta);
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
}

/** Opens the node's ledger (with its budget, so appends beyond targetEpsilon are refused) for one use. */
export function withNodeLedger<T>(o: NodePrivacyOptions, fn: (ledger: PrivacyLedger) => T): T {
  return withLedgerFile(o.ledger, o.privacy, o.site, fn);
}

function fmt(x: number): string {
  return Number(x.toPrecision(4)).toString();
}
