import { PrivmedError } from '../common/errors.js';
import type { AccountantName } from './accountant.js';
import { createAccountant, type AccountantOptions } from './create-accountant.js';
import { checkDelta, type Sampling } from './events.js';

export interface CalibrationTarget {
  readonly targetEpsilon: number;
  readonly delta: number;
  readonly sampleRate: number;
  /** Give steps, or epochs (then steps = floor(epochs / sampleRate), as Opacus). */
  readonly steps?: number;
  readonly epochs?: number;
  readonly accountant?: AccountantName;
  readonly sampling?: Sampling;
  /** The search stops once epsilon is within this much below the target; default 0.01. */
  readonly epsilonTolerance?: number;
  readonly accountantOptions?: AccountantOptions;
}

export interface Calibration {
  readonly noiseMultiplier: number;
  /** The epsilon that noise multiplier gives (<= targetEpsilon). */
  readonly epsilon: number;
  readonly steps: number;
}

/** Above this the budget is unreachable for any useful model (Opacus's limit too). */
const MAX_NOISE_MULTIPLIER = 1e6;

/**
 * The smallest noise multiplier (to within the search's resolution) whose
 * epsilon over `steps` steps is at most targetEpsilon: the search of Opacus's
 * get_noise_multiplier (double an upper bracket from 20 until it meets the
 * target, then bisect from [0, bracket] until epsilon is within
 * epsilonTolerance below the target), so results match Opacus's to the bit.
 * The answer always meets the target; it is never rounded down.
 */
export function calibrateNoise(target: CalibrationTarget): Calibration {
  const { targetEpsilon, sampleRate } = target;
  const delta = checkDelta(target.delta);
  const tolerance = target.epsilonTolerance ?? 0.01;
  if (!(targetEpsilon > 0) || !Number.isFinite(targetEpsilon)) {
    throw new PrivmedError(`target epsilon must be a finite number > 0, got ${targetEpsilon}`);
  }
  if (!(tolerance > 0)) throw new PrivmedError(`epsilon tolerance must be > 0, got ${tolerance}`);
  const steps = stepsOf(target);
  const epsilonAt = (noiseMultiplier: number): number =>
    createAccountant(target.accountant ?? 'rdp', target.accountantOptions)
      .step({ noiseMultiplier, sampleRate, sampling: target.sampling ?? 'poisson' }, steps)
      .getEpsilon(delta);

  let low = 0;
  let high = 10;
  let epsHigh = Infinity;
  while (epsHigh > targetEpsilon) {
    high *= 2;
    if (high > MAX_NOISE_MULTIPLIER) {
      throw new PrivmedError(
        `no noise multiplier up to ${MAX_NOISE_MULTIPLIER} reaches epsilon ${targetEpsilon} at delta ${delta} over ${steps} steps at sample rate ${sampleRate}`,
        { hint: 'the budget is too small for this many steps; train fewer steps or raise the budget' },
      );
    }
    epsHigh = epsilonAt(high);
  }
  while (targetEpsilon - epsHigh > tolerance) {
    const mid = (low + high) / 2;
    const eps = epsilonAt(mid);
    if (eps < targetEpsilon) {
      high = mid;
      epsHigh = eps;
    } else {
      low = mid;
    }
  }
  return { noiseMultiplier: high, epsilon: epsHigh, steps };
}

function stepsOf(target: CalibrationTarget): number {
  const { steps, epochs, sampleRate } = target;
  if (!(sampleRate > 0 && sampleRate <= 1)) throw new PrivmedError(`sample rate must be in (0, 1], got ${sampleRate}`);
  if ((steps === undefined) === (epochs === undefined)) {
    throw new PrivmedError('give either steps or epochs for noise calibration, not both and not neither');
  }
  const n = steps ?? Math.floor(epochs! / sampleRate);
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new PrivmedError(`noise calibration needs at least 1 step, got ${steps !== undefined ? `steps ${steps}` : `${n} steps from epochs ${epochs}`}`);
  }
  return n;
}
