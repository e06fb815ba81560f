/** Per-sample gradients by a backward pass per sample: exact for every layer. */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Batch } from '../../data/dataset.js';
import type { GradientSink } from '../sgd/clipping.js';
import { classLabels, type BatchLabels, type PerSampleGradients } from './types.js';
import type { PerSampleLoss } from '../../training/loss.js';
import { trainableVariables, type DpVariable } from './variables.js';
import { readInPlace } from '../../engine/read-in-place.js';

/** How long the sample loop runs before letting the event loop in. */
const YIELD_EVERY_MS = 200;

export class LoopGradients implements PerSampleGradients {
  readonly method = 'loop' as const;
  readonly variables: readonly DpVariable[];

  constructor(
    readonly model: tfl.LayersModel,
    private readonly loss: PerSampleLoss,
    private readonly labels: BatchLabels = classLabels,
  ) {
    this.variables = trainableVariables(model);
  }

  async accumulate(batch: Batch, sink: GradientSink): Promise<number> {
    const [h, w, c] = (this.model.inputs[0]!.shape as number[]).slice(1) as [number, number, number];
    const pixels = h * w * c;
    const vars = this.variables.map((v) => v.variable);
    let lossSum = 0;
    let since = performance.now();
    const labels = this.labels(batch);
    for (let i = 0; i < batch.size; i++) {
      // A large batch on a busy machine takes minutes: timers (the node's heartbeats) must still run.
      if (performance.now() - since > YIELD_EVERY_MS) {
        await new Promise<void>((r) => setImmediate(r));
        since = performance.now();
      }
      const { value, grads } = tf.variableGrads(() => {
        const x = tf.tensor4d(batch.x.subarray(i * pixels, (i + 1) * pixels), [1, h, w, c]);
        const logits = this.model.apply(x, { training: true }) as tf.Tensor2D;
        return tf.sum(this.loss(logits, tf.slice(labels, i, 1))) as tf.Scalar;
      }, vars);
      lossSum += value.dataSync()[0]!;
      // Read in place on wasm (no copy); nothing is allocated on the backend until the sink is done.
      const present = this.variables.filter((v) => grads[v.name] !== undefined);
      const views = readInPlace(present.map((v) => grads[v.name]!));
      sink.add(this.variables.map((v) => (grads[v.name] ? views[present.indexOf(v)]! : new Float32Array(v.size))));
      value.dispose();
      tf.dispose(grads);
    }
    labels.dispose();
    return lossSum;
  }
}
