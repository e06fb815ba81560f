/**
 * GroupNorm (Wu & He 2018) as a tfjs-layers layer: BatchNorm mixes samples
 * within a batch, which breaks per-sample gradients for DP-SGD and behaves
 * badly with small non-IID federated batches; GroupNorm does neither.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { fusedNorm } from './fused-norm.js';

export interface GroupNormArgs {
  groups: number;
  epsilon?: number;
  name?: string;
}

export class GroupNormalization extends tfl.layers.Layer {
  static className = 'GroupNormalization';
  readonly groups: number;
  readonly epsilon: number;
  private gamma!: tfl.LayerVariable;
  private beta!: tfl.LayerVariable;

  constructor(args: GroupNormArgs) {
    super({ name: args.name });
    this.groups = args.groups;
    this.epsilon = args.epsilon ?? 1e-5;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const channels = shape[shape.length - 1]!;
    if (channels % this.groups !== 0) {
      throw new Error(`GroupNormalization: ${channels} channels cannot be split into ${this.groups} groups`);
    }
    this.gamma = this.addWeight('gamma', [channels], 'float32', tfl.initializers.ones());
    this.beta = this.addWeight('beta', [channels], 'float32', tfl.initializers.zeros());
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const fused = x.rank === 4 ? fusedNorm(x, this.gamma.read(), this.beta.read(), this.groups, this.epsilon) : null;
      if (fused) return fused[0];
      const [n, h, w, c] = x.shape;
      const g = this.groups;
      const grouped = tf.reshape(x, [n, h * w, g, c / g]);
      const { mean, variance } = tf.moments(grouped, [1, 3], true);
      const normed = tf.mul(tf.sub(grouped, mean), tf.rsqrt(tf.add(variance, this.epsilon)));
      return tf.add(tf.mul(tf.reshape(normed, [n, h, w, c]), this.gamma.read()), this.beta.read());
    });
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), groups: this.groups, epsilon: this.epsilon };
  }
}

tf.serialization.registerClass(GroupNormalization);

/** Number of groups for C channels: min(32, C), reduced until it divides C. */
export function defaultGroups(channels: number): number {
  let g = Math.min(32, channels);
  while (channels % g !== 0) g--;
  return g;
}
