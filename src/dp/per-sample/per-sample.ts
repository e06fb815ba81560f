/**
 * Per-sample gradients, two ways behind one interface:
 * - 'loop': one backward pass per sample. Works for every layer; on the
 *   single-threaded wasm and cpu backends it costs about the same as a batch
 *   gradient, so it is their default.
 * - 'vectorised': one forward and one backward pass for the batch, then each
 *   sample's weight gradient from the layer's input and output gradient
 *   (dense, conv2d, GroupNorm, LayerNorm). The default where batched kernels
 *   pay off: backend 'tensorflow', and wasm since privmed's fused per-sample
 *   kernels (bench dp: 2.5x the non-private step against the loop's 3.4x).
 *   It refuses models it cannot cover; 'auto' then takes the loop, and takes
 *   it too for a batch whose per-sample gradients would exceed
 *   AUTO_VECTORISED_BYTES (they are all held at once).
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { PrivmedError } from '../../common/errors.js';
import { LoopGradients } from './loop-gradients.js';
import type { PerSampleLoss } from '../../training/loss.js';
import type { BatchLabels, PerSampleChoice, PerSampleGradients, PerSampleMethod } from './types.js';
import { VectorisedGradients } from './vectorised-gradients.js';
import type { Batch } from '../../data/dataset.js';
import type { GradientSink } from '../sgd/clipping.js';

export type { BatchLabels, PerSampleChoice, PerSampleGradients, PerSampleMethod } from './types.js';

/** 'auto': vectorised on backends 'tensorflow' and 'wasm', the loop elsewhere. */
export function resolvePerSampleMethod(choice: PerSampleChoice, backend: string = tf.getBackend()): PerSampleMethod {
  if (choice === 'loop' || choice === 'vectorised') return choice;
  if (choice !== 'auto') throw new PrivmedError(`per-sample gradients: unknown method '${String(choice)}'`, { hint: "use 'auto', 'loop' or 'vectorised'" });
  return backend === 'tensorflow' || backend === 'wasm' ? 'vectorised' : 'loop';
}

/** Per-sample gradients of one batch 'auto' lets the vectorised method hold at once (float32). */
export const AUTO_VECTORISED_BYTES = 512 * 1024 * 1024;

export function perSampleGradients(model: tfl.LayersModel, loss: PerSampleLoss, choice: PerSampleChoice = 'auto', labels?: BatchLabels): PerSampleGradients {
  const method = resolvePerSampleMethod(choice);
  if (method === 'loop') return new LoopGradients(model, loss, labels);
  if (choice !== 'auto') return new VectorisedGradients(model, loss, labels);
  const loop = new LoopGradients(model, loss, labels);
  try {
    return new AutoGradients(new VectorisedGradients(model, loss, labels), loop);
  } catch (e) {
    if (e instanceof PrivmedError) return loop; // a layer the vectorised method does not cover
    throw e;
  }
}

/** 'auto': vectorised, and the loop for batches too large to hold or models it refuses at run time. */
class AutoGradients implements PerSampleGradients {
  readonly model: tfl.LayersModel;
  readonly variables: PerSampleGradients['variables'];
  private refused = false;

  constructor(
    private readonly vectorised: PerSampleGradients,
    private readonly loop: PerSampleGradients,
  ) {
    this.model = vectorised.model;
    this.variables = vectorised.variables;
  }

  get method(): PerSampleMethod {
    return this.refused ? 'loop' : 'vectorised';
  }

  async accumulate(batch: Batch, sink: GradientSink): Promise<number> {
    const bytes = 4 * batch.size * this.variables.reduce((n, v) => n + v.size, 0);
    if (this.refused || bytes > AUTO_VECTORISED_BYTES) return this.loop.accumulate(batch, sink);
    try {
      return await this.vectorised.accumulate(batch, sink);
    } catch (e) {
      // Refusals come from the forward pass, before the sink has seen a sample.
      if (!(e instanceof PrivmedError)) throw e;
      this.refused = true;
      return this.loop.accumulate(batch, sink);
    }
  }
}
