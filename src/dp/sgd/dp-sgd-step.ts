/**
 * The DP-SGD gradient step (Abadi et al. 2016): per-sample gradients, each
 * clipped, summed, plus Gaussian noise of standard deviation sigma * C added
 * once to the sum, divided by the expected batch size. The noise comes from
 * the exact grid Gaussian (grid-gaussian.ts) drawn from the CSPRNG.
 */
import { availableParallelism } from 'node:os';
import { defaultThreadCount } from '../../engine/wasm-threads.js';
import * as tf from '@tensorflow/tfjs-core';
import { PrivmedError } from '../../common/errors.js';
import type { GradientStep } from '../../training/core.js';
import { ClippedSum, type ClipPlan } from './clipping.js';
import { ViewAveragingSink } from './multiplicity.js';
import { GaussianGridMechanism, planGaussianGrid, type GaussianGridPlan } from '../mechanisms/grid-gaussian.js';
import type { PerSampleGradients } from '../per-sample/types.js';

/** Batches larger than this could make the float64 sum's error exceed the sensitivity slack. */
const MAX_BATCH = 65536;

export interface DpSgdStepOptions {
  readonly perSample: PerSampleGradients;
  readonly clip: ClipPlan;
  readonly noiseMultiplier: number;
  /**
   * What the noisy sum is divided by: the expected batch size q * N for Poisson
   * sampling (the actual size would leak), the batch size for fixed-size batches.
   */
  readonly expectedBatchSize: number;
  /** Augmentation multiplicity: each run of this many rows is the views of one sample (multiplicity.ts); default 1. */
  readonly multiplicity?: number;
  /**
   * Draw each step's noise ahead of it on an idle-priority background thread
   * (native engine): the next step's draw starts when a step's noise is
   * released, so it uses the CPU time the update, the data loading and the next
   * step's single-threaded parts leave idle; what is not drawn by the release is
   * drawn then. false: drawn when the clipped sum is ready. Default: only when the
   * kernel pool leaves a core idle; with every core in the pool the draw competes
   * with it and measured slower (docs/engine.md).
   */
  readonly noiseInBackground?: boolean;
}

export interface DpSgdStep {
  readonly gradientStep: GradientStep;
  readonly noise: GaussianGridPlan;
}

/** True when PRIVMED_THREADS gives the kernel pool fewer threads than the machine has cores. */
export function poolLeavesACoreIdle(env: NodeJS.ProcessEnv = process.env): boolean {
  return defaultThreadCount(env) < availableParallelism();
}

export function dpSgdStep(o: DpSgdStepOptions): DpSgdStep {
  const { perSample, clip } = o;
  if (!(o.expectedBatchSize > 0 && Number.isFinite(o.expectedBatchSize))) {
    throw new PrivmedError(`DP-SGD: expected batch size must be a number > 0, got ${o.expectedBatchSize}`);
  }
  const sizes = perSample.variables.map((v) => v.size);
  const noise = planGaussianGrid(clip.sensitivity, o.noiseMultiplier, sizes.reduce((a, b) => a + b, 0));
  const mechanism = new GaussianGridMechanism(noise);
  const k = o.multiplicity ?? 1;
  const gradientStep: GradientStep = async (batch, model) => {
    if (model !== perSample.model) throw new PrivmedError('DP-SGD: this gradient step was set up for a different model');
    if (batch.size > MAX_BATCH) throw new PrivmedError(`DP-SGD: batch of ${batch.size} samples is larger than the supported ${MAX_BATCH}`);
    const ahead = o.noiseInBackground ?? poolLeavesACoreIdle();
    if (ahead) mechanism.prepare(); // the first step's; later steps find theirs started by the step before
    const sum = new ClippedSum(sizes, clip);
    const views = k > 1 ? new ViewAveragingSink(sum, sizes, k) : null;
    // A Poisson batch can be empty; the step still adds noise and updates, as the accountant assumes.
    const lossSum = batch.size > 0 ? await perSample.accumulate(batch, views ?? sum) : 0;
    views?.finish();
    // The noisy sum over the expected batch size, as float32: each variable's gradient a view of it.
    const values = mechanism.releaseScaled(sum.flat(), o.expectedBatchSize);
    // A fresh draw (new key) for the next step; the values are those of a draw at release time, only earlier.
    if (ahead) mechanism.prepare();
    const grads: tf.NamedTensorMap = {};
    let offset = 0;
    for (const v of perSample.variables) {
      grads[v.name] = tf.tensor(values.subarray(offset, offset + v.size), v.shape as number[]);
      offset += v.size;
    }
    return { loss: batch.size > 0 ? lossSum / batch.size : 0, grads };
  };
  return { gradientStep, noise };
}
