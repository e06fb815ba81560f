/**
 * The Laplace mechanism on a grid (the L1 twin of grid-gaussian.ts): f is
 * rounded to a grid of step gamma and exact discrete Laplace noise of scale
 * t = 2^m grid steps is added in integers. round(f / gamma) has L1
 * sensitivity at most C1 (1 + SUM_SLACK) / gamma + ROUND_SLACK d, and the
 * discrete Laplace of scale t is (that / t)-DP; gamma is chosen so that this
 * is at most C1 / noiseScale, the epsilon the ledger charges.
 */
import { PrivmedError } from '../../common/errors.js';
import { sampleDiscreteLaplace } from './discrete-samplers.js';
import { SecureBits } from './secure-bits.js';

const SUM_SLACK = 2 ** -20;
const ROUND_SLACK = 1.25;
const TARGET_EXCESS = 2 ** -10;
const MAX_LOG2_SCALE = 50;
const MAX_GRID_VALUE = 2 ** 50;

export interface LaplaceGridPlan {
  /** L1 sensitivity of the real-valued query. */
  readonly sensitivity: number;
  /** The Laplace scale the ledger is told: epsilon = sensitivity / noiseScale. */
  readonly noiseScale: number;
  readonly dimensions: number;
  readonly grid: number;
  /** Noise scale in grid steps. */
  readonly gridScale: number;
}

export function planLaplaceGrid(sensitivity: number, noiseScale: number, dimensions: number): LaplaceGridPlan {
  if (!(sensitivity > 0 && Number.isFinite(sensitivity))) throw new PrivmedError(`Laplace mechanism: sensitivity must be a finite number > 0, got ${sensitivity}`);
  if (!(noiseScale > 0 && Number.isFinite(noiseScale))) throw new PrivmedError(`Laplace mechanism: noise scale must be a finite number > 0, got ${noiseScale}`);
  if (!(Number.isSafeInteger(dimensions) && dimensions >= 1)) throw new PrivmedError(`Laplace mechanism: dimensions must be a whole number >= 1, got ${dimensions}`);
  const epsilon = sensitivity / noiseScale;
  // The rounding's share of epsilon, ROUND_SLACK d / t, must be at most TARGET_EXCESS * epsilon.
  const log2Scale = Math.ceil(Math.log2((ROUND_SLACK * dimensions) / (TARGET_EXCESS * epsilon)));
  if (log2Scale > MAX_LOG2_SCALE) throw new PrivmedError(`Laplace mechanism: epsilon ${epsilon} over ${dimensions} values is too small for the exact sampler`);
  const gridScale = 2 ** Math.max(log2Scale, 4);
  const epsilonForData = epsilon - (ROUND_SLACK * dimensions) / gridScale;
  const realScale = ((sensitivity * (1 + SUM_SLACK)) / epsilonForData) * (1 + 2 ** -40);
  return { sensitivity, noiseScale, dimensions, grid: realScale / gridScale, gridScale };
}

export class LaplaceGridMechanism {
  private readonly bits = new SecureBits();

  constructor(readonly plan: LaplaceGridPlan) {}

  /** gamma * (round(f / gamma) + Y), as a new array. */
  release(values: Float64Array): Float64Array {
    const { grid, dimensions, gridScale } = this.plan;
    if (values.length !== dimensions) throw new PrivmedError(`Laplace mechanism: planned for ${dimensions} values, got ${values.length}`);
    const out = new Float64Array(dimensions);
    for (let i = 0; i < dimensions; i++) {
      const onGrid = Math.round(values[i]! / grid);
      if (!(Math.abs(onGrid) < MAX_GRID_VALUE)) throw new PrivmedError(`Laplace mechanism: value ${values[i]} at index ${i} is not finite or too large for the noise grid`);
      out[i] = (onGrid + sampleDiscreteLaplace(this.bits, gridScale)) * grid;
    }
    return out;
  }
}
