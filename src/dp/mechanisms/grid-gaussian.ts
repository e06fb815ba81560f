/**
 * The Gaussian mechanism without floating-point leaks: a real vector f (a sum
 * of clipped gradients, or dataset statistics) is rounded to a grid of step
 * gamma, exact discrete Gaussian noise of scale 2^m (in grid steps) is added
 * in integers, and the result is scaled back. Only the integer vector
 * round(f / gamma) + Y depends on the data; the scaling and the float32
 * conversion after it are post-processing, so no low-order bit of the output
 * can reveal f (Mironov 2012).
 *
 * Sensitivity: if f moves by at most C (L2) between neighbouring datasets,
 * round(f / gamma) moves by at most C(1 + SUM_SLACK) / gamma + ROUND_SLACK sqrt(d)
 * grid steps (each coordinate's rounding error is at most 1/2 plus the
 * division's float error, and two of them differ by at most ROUND_SLACK).
 * gamma is chosen so that noiseMultiplier times that bound is exactly the
 * noise scale 2^m: the release is a discrete Gaussian mechanism with noise
 * multiplier >= sigma, paid for with noise about 0.1% above sigma * C.
 *
 * Accounting: Canonne, Kamath & Steinke 2020 show the discrete Gaussian's
 * Renyi divergences are at most the continuous Gaussian's for integer shifts
 * (coordinate-wise, so also in d dimensions), and the Poisson-subsampled RDP
 * bound of Zhu & Wang 2019 depends on the base mechanism only through those
 * divergences; privmed therefore charges these releases as the continuous
 * Gaussian the accountants model.
 */
import { PrivmedError } from '../../common/errors.js';
import { MAX_LOG2_SCALE } from './discrete-samplers.js';
import { discreteGaussianNoise, PendingNoise } from './discrete-gaussian.js';
import { nativeKernels } from '../../engine/native-addon.js';

/** Relative slack on the sensitivity for float64 accumulation and clipping error. */
const SUM_SLACK = 2 ** -20;
/** Bound on how far two coordinates' rounding errors can differ, in grid steps. */
const ROUND_SLACK = 1.25;
/** The noise above sigma * C that the grid may cost: 2^-10, about 0.1%. */
const TARGET_EXCESS = 2 ** -10;
/** Refuse grids that cost more than this extra noise. */
const MAX_EXCESS = 2 ** -4;
const MIN_LOG2_SCALE = 4;
/** Largest |f / gamma| for which the division error stays within ROUND_SLACK. */
const MAX_GRID_VALUE = 2 ** 50;

export interface GaussianGridPlan {
  /** The noise multiplier the accountant is told. */
  readonly noiseMultiplier: number;
  /** L2 sensitivity of the real-valued query. */
  readonly sensitivity: number;
  readonly dimensions: number;
  /** Noise scale in grid steps is 2^log2Scale. */
  readonly log2Scale: number;
  readonly grid: number;
  /** Standard deviation parameter of the added noise in real units: a little above noiseMultiplier * sensitivity. */
  readonly noiseStd: number;
}

export function planGaussianGrid(sensitivity: number, noiseMultiplier: number, dimensions: number): GaussianGridPlan {
  if (!(sensitivity > 0 && Number.isFinite(sensitivity))) throw new PrivmedError(`Gaussian mechanism: sensitivity must be a finite number > 0, got ${sensitivity}`);
  if (!(noiseMultiplier > 0 && Number.isFinite(noiseMultiplier))) {
    throw new PrivmedError(`Gaussian mechanism: noise multiplier must be a finite number > 0, got ${noiseMultiplier}`);
  }
  if (!(Number.isSafeInteger(dimensions) && dimensions >= 1)) throw new PrivmedError(`Gaussian mechanism: dimensions must be a whole number >= 1, got ${dimensions}`);
  // Rounding slack in noise units; the grid scale must dwarf it.
  const roundingNoise = ROUND_SLACK * noiseMultiplier * Math.sqrt(dimensions);
  let log2Scale = Math.max(MIN_LOG2_SCALE, Math.ceil(Math.log2(roundingNoise * (1 + 1 / TARGET_EXCESS))));
  if (log2Scale > MAX_LOG2_SCALE) {
    log2Scale = MAX_LOG2_SCALE;
    if (roundingNoise / (2 ** log2Scale - roundingNoise) > MAX_EXCESS) {
      throw new PrivmedError(
        `Gaussian mechanism: noise multiplier ${noiseMultiplier} over ${dimensions} values is beyond the exact sampler's range`,
        { hint: 'use a smaller noise multiplier (more clipping, fewer steps) or a model with fewer parameters' },
      );
    }
  }
  const scale = 2 ** log2Scale;
  // The 1 + 2^-40 absorbs the float error of this division; gamma may only err upwards.
  const grid = ((noiseMultiplier * sensitivity * (1 + SUM_SLACK)) / (scale - roundingNoise)) * (1 + 2 ** -40);
  return { noiseMultiplier, sensitivity, dimensions, log2Scale, grid, noiseStd: scale * grid };
}

/** Adds grid Gaussian noise to vectors of one fixed length, drawing from the CSPRNG (natively when the native engine runs). */
export class GaussianGridMechanism {
  private pending: PendingNoise | null = null;

  constructor(readonly plan: GaussianGridPlan) {}

  /** Starts drawing the next release's noise in the background (it does not depend on the values); release() collects it. */
  prepare(): void {
    this.pending ??= new PendingNoise(this.plan.dimensions, this.plan.log2Scale);
  }

  /** gamma * (round(f / gamma) + Y), as a new array. */
  release(values: Float64Array): Float64Array {
    const out = this.noise(values);
    const { grid } = this.plan;
    for (let i = 0; i < out.length; i++) out[i] = (checkedRound(values, i, grid) + out[i]!) * grid;
    return out;
  }

  /**
   * The same release divided by `divisor` and rounded to float32 (DP-SGD's
   * averaged gradient): on the add-on when the native engine runs (the same
   * double operations, multi-threaded), else in JavaScript.
   */
  releaseScaled(values: Float64Array, divisor: number): Float32Array {
    const noise = this.noise(values);
    const { grid } = this.plan;
    const out = new Float32Array(values.length);
    const addon = nativeKernels();
    if (addon !== null && typeof addon.gridRelease === 'function' && out.length > 0 && divisor > 0) {
      const bad = addon.gridRelease(values, noise, grid, divisor, out);
      noise.fill(0);
      if (bad >= 0) checkedRound(values, bad, grid); // throws
      return out;
    }
    for (let i = 0; i < out.length; i++) out[i] = ((checkedRound(values, i, grid) + noise[i]!) * grid) / divisor;
    noise.fill(0);
    return out;
  }

  /** The noise Y for one release, drawn ahead (prepare) or now. */
  private noise(values: Float64Array): Float64Array {
    const { dimensions } = this.plan;
    if (values.length !== dimensions) throw new PrivmedError(`Gaussian mechanism: planned for ${dimensions} values, got ${values.length}`);
    const pending = this.pending;
    this.pending = null;
    return pending !== null ? pending.take() : discreteGaussianNoise(dimensions, this.plan.log2Scale);
  }
}

/** round(values[i] / grid), or an error naming the value when it is not finite or too large for the grid. */
function checkedRound(values: Float64Array, i: number, grid: number): number {
  const onGrid = Math.round(values[i]! / grid);
  if (!(Math.abs(onGrid) < MAX_GRID_VALUE)) {
    throw new PrivmedError(`Gaussian mechanism: value ${values[i]} at index ${i} is not finite or too large for the noise grid`, {
      hint: 'values must be bounded by the clipping; check the model for overflowing activations',
    });
  }
  return onGrid;
}
