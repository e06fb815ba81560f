import { checkDelta, checkEvent, mergeEvents, type MechanismEvent, type Sampling } from './events.js';
import type { RdpConversion } from './rdp-conversion.js';

export type AccountantName = 'rdp' | 'gdp' | 'prv';
export const ACCOUNTANT_NAMES: readonly AccountantName[] = ['rdp', 'gdp', 'prv'];

/** What an accountant says about a history at one delta, with the evidence for it. */
export type EpsilonReport =
  | {
      readonly accountant: 'rdp';
      /** A guaranteed upper bound. */
      readonly epsilon: number;
      readonly delta: number;
      /** The RDP order at which the bound was tightest. */
      readonly order: number;
      readonly conversion: RdpConversion;
    }
  | {
      readonly accountant: 'gdp';
      /**
       * 'CLT': an APPROXIMATION from the central limit theorem for subsampled
       * Gaussians (Bu, Dong, Long & Su 2020); it can under-estimate, most for few
       * steps or large sample rates. 'exact': every event was a full-batch
       * Gaussian, for which mu-GDP is exact.
       */
      readonly approximation: 'CLT' | 'exact';
      readonly epsilon: number;
      readonly delta: number;
      readonly mu: number;
    }
  | {
      readonly accountant: 'prv';
      /** The upper end of the numerical error interval: a guaranteed bound. */
      readonly epsilon: number;
      readonly delta: number;
      /** Point estimate, and the interval [lower, upper] it is guaranteed to lie in. */
      readonly estimate: number;
      readonly lower: number;
      readonly upper: number;
      readonly epsError: number;
      readonly deltaError: number;
    };

/** One mechanism for `step`: sampling defaults to Poisson, as in Opacus. */
export interface StepMechanism {
  readonly noiseMultiplier: number;
  readonly sampleRate: number;
  readonly sampling?: Sampling;
}

/**
 * A privacy accountant: records which mechanisms ran on a dataset and how
 * often, and says what (epsilon, delta) guarantee the whole history has.
 * Histories of different noise multipliers, sample rates and samplings compose.
 */
export interface PrivacyAccountant {
  readonly name: AccountantName;
  /** The recorded history, identical mechanisms merged. */
  readonly history: readonly MechanismEvent[];
  /** Records `steps` (default 1) more runs of one mechanism. */
  step(mechanism: StepMechanism, steps?: number): this;
  /** Records a list of events. */
  compose(events: readonly MechanismEvent[]): this;
  /** Epsilon of the whole history at this delta (an upper bound, except GDP's CLT). */
  getEpsilon(delta: number): number;
  /** getEpsilon with the accountant's evidence. */
  explain(delta: number): EpsilonReport;
}

/** The history bookkeeping all accountants share; subclasses only do the maths. */
export abstract class ComposingAccountant implements PrivacyAccountant {
  abstract readonly name: AccountantName;
  private events: MechanismEvent[] = [];

  get history(): readonly MechanismEvent[] {
    return this.events;
  }

  step(mechanism: StepMechanism, steps = 1): this {
    const event = checkEvent({ ...mechanism, sampling: mechanism.sampling ?? 'poisson', steps }, 'step');
    this.events = mergeEvents([...this.events, event]);
    return this;
  }

  compose(events: readonly MechanismEvent[]): this {
    this.events = mergeEvents([...this.events, ...events]);
    return this;
  }

  getEpsilon(delta: number): number {
    return this.explain(delta).epsilon;
  }

  explain(delta: number): EpsilonReport {
    return this.report(this.events, checkDelta(delta));
  }

  /** The accountant's analysis of a merged, checked history. */
  protected abstract report(events: readonly MechanismEvent[], delta: number): EpsilonReport;
}
