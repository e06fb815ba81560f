/**
 * The batch samplers DP-SGD's privacy accounting assumes, drawing from the
 * CSPRNG: amplification by subsampling holds only if nobody can predict which
 * records a step used, so unlike the data-order shuffle these take no seed.
 *
 * A sampler is also what produces the ledger's record of the steps it drew
 * (`mechanism`), with its own sampling kind and rate: the accountant cannot
 * be told about a different sampling than the one that ran.
 */
import { PrivmedError } from '../../common/errors.js';
import type { ReleaseMechanism, Sampling } from '../../accounting/index.js';
import { SecureBits } from '../mechanisms/secure-bits.js';

export type SubsampledGaussian = Extract<ReleaseMechanism, { type: 'subsampled-gaussian' }>;

export interface DpSampler {
  readonly sampling: Sampling;
  readonly sampleRate: number;
  readonly datasetSize: number;
  readonly stepsPerEpoch: number;
  /** What the noisy gradient sum is divided by. */
  readonly expectedBatchSize: number;
  /** The dataset indices of one step's batch, ascending. */
  drawBatch(): Int32Array;
  /** The ledger record of `steps` DP-SGD steps on batches from this sampler. */
  mechanism(noiseMultiplier: number, steps: number): SubsampledGaussian;
}

abstract class BaseSampler implements DpSampler {
  abstract readonly sampling: Sampling;
  abstract readonly sampleRate: number;
  abstract readonly stepsPerEpoch: number;
  abstract readonly expectedBatchSize: number;
  protected readonly bits = new SecureBits();

  constructor(readonly datasetSize: number) {
    if (!(Number.isSafeInteger(datasetSize) && datasetSize >= 1)) throw new PrivmedError(`DP sampler: dataset size must be a whole number >= 1, got ${datasetSize}`);
  }

  abstract drawBatch(): Int32Array;

  mechanism(noiseMultiplier: number, steps: number): SubsampledGaussian {
    return { type: 'subsampled-gaussian', noiseMultiplier, sampleRate: this.sampleRate, steps, sampling: this.sampling };
  }
}

/**
 * Poisson sampling (the default, as Opacus): every record joins each batch
 * independently with probability q = batchSize / n, so batch sizes vary
 * around q n. An epoch is floor(1 / q) steps.
 */
export class PoissonSampler extends BaseSampler {
  readonly sampling = 'poisson' as const;
  readonly sampleRate: number;
  readonly stepsPerEpoch: number;
  readonly expectedBatchSize: number;

  constructor(datasetSize: number, expectedBatchSize: number) {
    super(datasetSize);
    checkBatchSize(expectedBatchSize, datasetSize);
    this.sampleRate = expectedBatchSize / datasetSize;
    this.expectedBatchSize = this.sampleRate * datasetSize;
    this.stepsPerEpoch = Math.floor(1 / this.sampleRate);
  }

  drawBatch(): Int32Array {
    const picked: number[] = [];
    for (let i = 0; i < this.datasetSize; i++) if (this.bits.bernoulli(this.sampleRate)) picked.push(i);
    return Int32Array.from(picked);
  }
}

/**
 * Fixed-size batches drawn uniformly without replacement, independently at
 * every step (deepee's sampler): q = batchSize / n, an epoch is
 * floor(n / batchSize) steps. The batch size is public, so the neighbouring
 * relation is replace-one; the accountant charges for that.
 */
export class UniformSampler extends BaseSampler {
  readonly sampling = 'uniform' as const;
  readonly sampleRate: number;
  readonly stepsPerEpoch: number;

  constructor(
    datasetSize: number,
    readonly expectedBatchSize: number,
  ) {
    super(datasetSize);
    checkBatchSize(expectedBatchSize, datasetSize);
    this.sampleRate = expectedBatchSize / datasetSize;
    this.stepsPerEpoch = Math.floor(datasetSize / expectedBatchSize);
  }

  /** Floyd's algorithm: every subset of batchSize records is equally likely. */
  drawBatch(): Int32Array {
    const n = this.datasetSize;
    const chosen = new Set<number>();
    for (let j = n - this.expectedBatchSize; j < n; j++) {
      const t = this.bits.uniformInt(j + 1);
      chosen.add(chosen.has(t) ? j : t);
    }
    return Int32Array.from([...chosen].sort((a, b) => a - b));
  }
}

export function createSampler(sampling: Sampling, datasetSize: number, batchSize: number): DpSampler {
  if (sampling === 'poisson') return new PoissonSampler(datasetSize, batchSize);
  if (sampling === 'uniform') return new UniformSampler(datasetSize, batchSize);
  throw new PrivmedError(`DP sampler: unknown sampling '${String(sampling)}'`, { hint: "use 'poisson' or 'uniform'" });
}

function checkBatchSize(batchSize: number, datasetSize: number): void {
  if (!(Number.isSafeInteger(batchSize) && batchSize >= 1 && batchSize <= datasetSize)) {
    throw new PrivmedError(`DP sampler: batch size must be a whole number from 1 to the dataset size ${datasetSize}, got ${batchSize}`);
  }
}
