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
import { PrivmedError } from '../../common/errors.js';
import { LoopGradients } from './loop-gradients.js';
import type { PerSampleLoss } from '../../training/loss.js';
import type { BatchLabels, PerSampleChoice, PerSampleGradients, PerSampleMethod } from './types.js';
import { VectorisedGradients } from './vectorised-gradients.js';

export type { BatchLabels, PerSampleChoice, PerSampleGradients, PerSampleMethod } from './types.js';

/** 'auto': vectorised on backend 'tensorflow', the loop elsewhere. */
export function resolvePerSampleMethod(choice: PerSampleChoice, backend: string = tf.getBackend()): PerSampleMethod {
  if (choice === 'loop' || choice === 'vectorised') return choice;
  if (choice !== 'auto') throw new PrivmedError(`per-sample gradients: unknown method '${String(choice)}'`, { hint: "use 'auto', 'loop' or 'vectorised'" });
  return backend === 'tensorflow' ? 'vectorised' : 'loop';
}

export function perSampleGradients(model: tfl.LayersModel, loss: PerSampleLoss, choice: PerSampleChoice = 'auto', labels?: BatchLabels): PerSampleGradients {
  return resolvePerSampleMethod(choice) === 'loop' ? new LoopGradients(model, loss, labels) : new VectorisedGradients(model, loss, labels);
}
