/**
 * DP-SGD at a hospital node. Each fit is one release of the node's training
 * data: its steps are charged to the node's own privacy ledger BEFORE any
 * step runs (append first, release after), and a fit that would exceed the
 * node's budget (targetEpsilon) is refused. The coordinator learns the
 * mechanism (noise multiplier, sample rate, steps, sampling) from the fit
 * metrics, so its federation ledger can charge the same release.
 *
 * The noise: privacy.noiseMultiplier when given; otherwise it is calibrated
 * at the node's first fit, from the run's planned rounds (sent with every fit
 * task), its own sample rate and steps per round, so that what the site has
 * already spent plus the whole run stays within targetEpsilon. The dataset
 * size n is treated as public (q = batchSize / n), as in every DP-SGD
 * accounting; numSamples is the expected count steps * q * n.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { existsSync } from 'node:fs';
import { LedgerIntegrityError, type LedgerHead, type PrivacyLedger, type ReleaseMechanism } from '../accounting/index.js';
import { PrivmedError } from '../common/errors.js';
import type { Dataset } from '../data/dataset.js';
import { BudgetExceededError, makePrivate, withLedgerFile, type PrivateTraining } from '../dp/make-private.js';
import type { PrivacyConfig } from '../dp/privacy-config.js';
import type { BatchLabels } from '../dp/per-sample/per-sample.js';
import type { PerSampleLoss } from '../training/loss.js';
import { createSampler, type DpSampler } from '../dp/sgd/samplers.js';
import type { BatchSource, GradientStep } from '../training/core.js';
import { DP_FIT_KEYS, mechanismMetrics, PLANNED_ROUNDS_KEY, type FitConfig } from './fit-config.js';
import { FitRefused } from './local-trainer.js';

/** Above this a site is warned at its first fit: the guarantee is weak. */
export const EPSILON_WARNING = 10;

export interface NodePrivacyOptions {
  readonly privacy: PrivacyConfig;
  /** The node's ledger file. */
  readonly ledger: string;
  /** The name the node's data is charged under. */
  readonly site: string;
  /** Where the node says what it decided (calibration, warnings); default stderr. */
  readonly log?: (line: string) => void;
}

export class NodePrivacy {
  /** For planning (steps per epoch, expected batch size); the DP facade's own sampler draws the batches. */
  readonly sampler: DpSampler;
  readonly gradientStep: GradientStep;
  private dp: PrivateTraining | null = null;
  private planned = false;
  private readonly build: (steps?: number) => PrivateTraining;
  private readonly log: (line: string) => void;

  constructor(
    private readonly o: NodePrivacyOptions,
    model: tfl.LayersModel,
    train: Dataset,
    batchSize: number,
    classWeights: readonly number[] | null,
    /** A task's own per-sample loss and labels (segmentation); default class-weighted cross-entropy. */
    taskLoss?: { loss: PerSampleLoss; labels: BatchLabels },
  ) {
    const p = o.privacy;
    const b = Math.min(batchSize, train.length);
    this.log = o.log ?? ((line) => process.stderr.write(`privmed node ${o.site}: ${line}\n`));
    this.build = (steps) =>
      makePrivate({ model, data: train, batchSize: b, classWeights, ...(taskLoss ?? {}), site: o.site, ...(steps !== undefined ? { steps } : {}), privacy: { ...p, ledger: o.ledger }, configPath: 'site.privacy' });
    this.sampler = createSampler(p.sampling, train.length, b);
    // Built now when the noise is fixed: a bad ledger path or model fails at start, not at round 1.
    if (p.noiseMultiplier !== undefined) this.dp = this.build();
    this.gradientStep = (...args) => this.current().gradientStep(...args);
  }

  /** The noise multiplier in use; NaN until calibrated at the first fit. */
  get noiseMultiplier(): number {
    return this.dp?.noiseMultiplier ?? Number.NaN;
  }

  private current(): PrivateTraining {
    if (!this.dp) throw new PrivmedError('DP-SGD before the noise was calibrated (the first fit calibrates it)');
    return this.dp;
  }

  /** The DP sampler's batches for the training core. */
  batchSource(): BatchSource {
    return {
      stepsPerEpoch: () => this.sampler.stepsPerEpoch,
      batches: (train, epoch, opts) => this.current().batchSource().batches(train, epoch, opts),
    };
  }

  /** DP-SGD steps of this fit: localEpochs * steps per epoch, or syncEveryNBatches. */
  stepsFor(config: FitConfig): number {
    return config.syncEveryNBatches ?? (config.localEpochs ?? 1) * this.sampler.stepsPerEpoch;
  }

  /**
   * At the first fit: calibrates the noise to the budget over the rounds the
   * coordinator plans (from this one on); with a fixed noise, says what the
   * planned run will cost when that is over the budget or above epsilon 10.
   */
  private plan(config: FitConfig, steps: number): void {
    if (this.planned) return;
    const p = this.o.privacy;
    const plannedRounds = config[PLANNED_ROUNDS_KEY];
    const rounds = typeof plannedRounds === 'number' && Number.isInteger(plannedRounds) && plannedRounds >= config.round ? plannedRounds - config.round + 1 : null;
    if (!this.dp) {
      if (rounds === null) {
        throw new FitRefused('site.privacy has no noiseMultiplier and the coordinator did not send its planned rounds to calibrate one', {
          hint: 'set site.privacy.noiseMultiplier, or run a coordinator of the same privmed version',
        });
      }
      try {
        this.dp = this.build(rounds * steps);
      } catch (err) {
        if (!(err instanceof PrivmedError)) throw err;
        throw new FitRefused(`${this.o.site} cannot train ${rounds} rounds within epsilon ${p.targetEpsilon} at delta ${p.delta}: ${err.message}`, {
          hint: 'ask for fewer rounds, or raise site.privacy.targetEpsilon with the data protection officer',
        });
      }
      this.log(
        `privacy: noise multiplier ${fmt(this.dp.noiseMultiplier)} calibrated: ${rounds} rounds of ${steps} DP-SGD steps at sample rate ${fmt(this.sampler.sampleRate)} ` +
          `keep ${this.o.site} within epsilon ${p.targetEpsilon} at delta ${p.delta} (${p.accountant} accountant; already spent ${fmt(this.dp.epsilon())})`,
      );
    } else if (rounds !== null) {
      const perRound = this.dp.mechanism(steps);
      const projected = this.dp.epsilon([this.dp.mechanism(rounds * steps)]);
      if (p.targetEpsilon !== undefined && projected > p.targetEpsilon) {
        const fit = affordableRounds(this.dp, perRound, rounds, p.targetEpsilon);
        this.log(
          `WARNING: privacy: the ${rounds} planned rounds at noise multiplier ${fmt(this.dp.noiseMultiplier)} would bring ${this.o.site} to epsilon ${fmt(projected)}, ` +
            `over its budget of ${p.targetEpsilon}: it trains ${fit} round(s), then refuses. To train them all, ask for at most ${fit} rounds, ` +
            `or leave site.privacy.noiseMultiplier out so privmed calibrates the noise to the budget.`,
        );
      } else if (projected > EPSILON_WARNING) {
        this.log(
          `WARNING: privacy: the ${rounds} planned rounds would bring ${this.o.site} to epsilon ${fmt(projected)} at delta ${p.delta}, above ${EPSILON_WARNING}: ` +
            'a weak guarantee; set site.privacy.targetEpsilon (and leave noiseMultiplier out) to calibrate the noise to a budget',
        );
      }
    }
    this.planned = true;
  }

  /**
   * Charges `steps` to the ledger before they run. Throws FitRefused when the
   * budget would be exceeded or the coordinator asks for a stronger mechanism
   * than this node runs (nothing is charged then).
   */
  charge(config: FitConfig, steps: number): ReleaseMechanism {
    this.plan(config, steps);
    const dp = this.current();
    this.checkRequested(config, dp.mechanism(steps));
    try {
      return dp.charge(steps, `federated round ${config.round}: ${steps} steps`);
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

  /** The node's ledger head now (what the node reports to the coordinator with each reply). */
  ledgerHead(): LedgerHead {
    return withNodeLedger(this.o, (ledger) => ledger.head());
  }

  /** Throws LedgerIntegrityError, naming the file, unless the ledger still extends `recorded`. */
  verifyLedger(recorded: LedgerHead, recordedWhere: string): void {
    if (recorded.entries > 0 && !existsSync(this.o.ledger)) {
      throw new LedgerIntegrityError(`${this.o.ledger}: the privacy ledger is missing, but ${recordedWhere} recorded ${recorded.entries} entries in it: it was deleted`);
    }
    withNodeLedger(this.o, (ledger) => ledger.verifyExtends(recorded, recordedWhere));
  }

  /** The node's spent epsilon at its delta, by its ledger. */
  epsilon(): number {
    return this.current().epsilon();
  }

  /** What the coordinator's federation ledger needs, as fit metrics. */
  metrics(steps: number): Record<string, number> {
    return mechanismMetrics(this.current().mechanism(steps), this.epsilon(), this.o.privacy.delta);
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

/** The most rounds (<= planned) that fit within the budget at this noise. */
function affordableRounds(dp: PrivateTraining, perRound: Extract<ReleaseMechanism, { type: 'subsampled-gaussian' }>, planned: number, target: number): number {
  let lo = 0;
  let hi = planned;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (dp.epsilon([{ ...perRound, steps: perRound.steps * mid }]) <= target) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function fmt(x: number): string {
  return Number(x.toPrecision(4)).toString();
}
