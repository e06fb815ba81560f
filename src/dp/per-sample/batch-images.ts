import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

/** The batch's images as an NHWC tensor of the model's input size. */
export function batchImages(model: tfl.LayersModel, x: Float32Array, size: number): tf.Tensor4D {
  const [h, w, c] = (model.inputs[0]!.shape as number[]).slice(1) as [number, number, number];
  return tf.tensor4d(x, [size, h, w, c]);
}
