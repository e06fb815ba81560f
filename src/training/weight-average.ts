/**
 * An exponential moving average of the weights (Polyak averaging), kept
 * beside the trained weights: after every step avg = d * avg + (1 - d) * w.
 * Under DP-SGD it averages the injected noise away at no privacy cost (it is
 * post-processing of the released steps; De et al. 2022 use it for every
 * result). Evaluation and the saved model use the average.
 */
import * as tf from '@tensorflow/tfjs-core';
import { PrivmedError } from '../common/errors.js';

export class WeightAverage {
  private shadow: tf.Variable[] | null = null;

  constructor(
    private readonly vars: readonly tf.Variable[],
    readonly decay: number,
  ) {
    if (!(decay > 0 && decay < 1)) throw new PrivmedError(`training.ema: the decay must lie in (0, 1), got ${decay}`);
  }

  /** After an optimizer step. The first call starts the average at the current weights. */
  update(): void {
    if (!this.shadow) {
      this.shadow = this.vars.map((v) => tf.variable(v.clone(), false));
      return;
    }
    const d = this.decay;
    tf.tidy(() => this.shadow!.forEach((s, i) => s.assign(tf.add(tf.mul(s, d), tf.mul(this.vars[i]!, 1 - d)))));
  }

  /** Runs fn with the averaged weights in the model, then puts the trained weights back (also on error). */
  async swapIn<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.shadow) return fn();
    const trained = this.vars.map((v) => v.clone());
    this.vars.forEach((v, i) => v.assign(this.shadow![i]!));
    try {
      return await fn();
    } finally {
      this.vars.forEach((v, i) => v.assign(trained[i]!));
      tf.dispose(trained);
    }
  }

  /** Starts over from the next step's weights (e.g. when a federated round loads new global weights). */
  reset(): void {
    if (this.shadow) tf.dispose(this.shadow);
    this.shadow = null;
  }

  dispose(): void {
    this.reset();
  }
}
