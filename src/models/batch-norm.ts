/**
 * tfjs-layers' BatchNormalization, trained with the fused normalisation
 * kernel where the backend has one (src/models/fused-norm.ts): tfjs composes
 * batch statistics and their gradient from about fifteen full-size ops, a
 * seventh of a ResNet-18 training step on wasm. Registered under tfjs's own
 * class name, so saved models load into it and every check of the class name
 * (DP validators, secure inference) sees a BatchNormalization. Inference and
 * every configuration the kernel does not take (another axis, no centre or
 * scale) run tfjs's code unchanged.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { fusedNorm } from './fused-norm.js';

type LayerArgs = Parameters<typeof tfl.layers.batchNormalization>[0];
type TfjsBatchNorm = ReturnType<typeof tfl.layers.batchNormalization>;

/** tfjs-layers exports the class only as a type; its constructor is in the serialization registry (until this module replaces it). */
const registered = tf.serialization.SerializationMap.getMap().classNameMap.BatchNormalization;
if (registered === undefined) throw new Error('tfjs-layers did not register BatchNormalization');
const TfjsBatchNormalization = registered[0] as unknown as new (args?: LayerArgs) => TfjsBatchNorm;

/** The fields of tfjs's layer this one reads (private in its typings). */
interface Fields {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma: tfl.LayerVariable;
  beta: tfl.LayerVariable;
  movingMean: tfl.LayerVariable;
  movingVariance: tfl.LayerVariable;
}

export class BatchNormalization extends TfjsBatchNormalization {
  static className = 'BatchNormalization';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    const f = this as unknown as Fields;
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    const lastAxis = f.axis === -1 || f.axis === x.rank - 1;
    if (kwargs.training !== true || !lastAxis || !f.center || !f.scale || x.rank < 2) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const fused = fusedNorm(x, f.gamma.read(), f.beta.read(), 0, f.epsilon);
      if (fused === null) return super.call(inputs, kwargs) as tf.Tensor;
      const [y, mean, variance] = fused;
      // As tfjs-layers: moving <- moving - (moving - batch) * (1 - momentum).
      for (const [moving, value] of [[f.movingMean, mean], [f.movingVariance, variance]] as const) {
        const orig = moving.read();
        moving.write(tf.sub(orig, tf.mul(tf.sub(orig, value), 1 - f.momentum)));
      }
      return y;
    });
  }
}

tf.serialization.registerClass(BatchNormalization as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);
