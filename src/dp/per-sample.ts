/**
 * Per-sample gradients, two ways behind one interface:
 * - 'loop': one backward pass per sample. Works for every layer; on the
 *   single-threaded wasm and cpu backends it costs about the same as a batch
 *   gradient, so it is their default.
 * - 'vectorised': one forward and one backward pass for the batch, then each
 *   sample's weight gradient from the layer's input and output gradient
 *   (dense, conv2d, GroupNorm, LayerNorm). The default where batched kernels
 *   pay off (backend 'tensorflow'); it refuses models it cannot cover.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { PrivmedError } from '../common/errors.js';
import type { Batch } from '../data/dataset.js';
import type { ClippedSum } from './clipping.js';
import { LoopGradients } from './loop-gradients.js';
import type { PerSampleLoss } from './per-sample-loss.js';
import type { DpVariable } from './variables.js';
import { VectorisedGradients } from './vectorised-gradients.js';

export type PerSampleMethod = 'loop' | 'vectorised';
export type PerSampleChoice = PerSampleMethod | 'auto';

export interface PerSampleGradients {
  readonly method: PerSampleMethod;
  readonly model: tfl.LayersModel;
  /** The variables, in the order their gradients reach the sink. */
  readonly variables: readonly DpVariable[];
  /** Feeds every sample's gradient to `sink`; returns the sum of the per-sample losses. */
  accumulate(batch: Batch, sink: ClippedSum): Promise<number>;
}

/** 'auto': vectorised on backend 'tensorflow', the loop elsewhere. */
export function resolvePerSampleMethod(choice: PerSampleChoice, backend: string = tf.getBackend()): PerSampleMethod {
  if (choice === 'loop' || choice === 'vectorised') return choice;
  if (choice !== 'auto') throw new PrivmedError(`per-sample gradients: unknown method '${String(choice)}'`, { hint: "use 'auto', 'loop' or 'vectorised'" });
  return backend === 'tensorflow' ? 'vectorised' : 'loop';
}

export function perSampleGradients(model: tfl.LayersModel, loss: PerSampleLoss, choice: PerSampleChoice = 'auto'): PerSampleGradients {
  return resolvePerSampleMethod(choice) === 'loop' ? new LoopGradients(model, loss) : new VectorisedGradients(model, loss);
}
