/**
 * The first convolution's input is the image, whose gradient nobody needs.
 * tfjs-core's fused conv (what tfjs-layers' Conv2D calls) records a custom
 * gradient that always computes the gradient for every input, so each training
 * step computed and discarded it (~5% of a small-CNN step, ~2% of ResNet-18's).
 * While gradients are recorded, this layer runs the same convolution unfused
 * (conv2d, then bias, then activation), whose per-input gradients tfjs prunes
 * to the ones that lead to the weights. Inference keeps the fused kernel. The
 * override is on the instance: the layer still saves and loads as a Conv2D.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

interface ConvInternals {
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[];
  kernel: { read(): tf.Tensor };
  bias: { read(): tf.Tensor } | null;
  strides: [number, number];
  padding: 'same' | 'valid';
  dataFormat: string;
  dilationRate: [number, number];
  activation: { apply(t: tf.Tensor): tf.Tensor };
}

function recordingGradients(): boolean {
  return (tf.engine() as unknown as { state: { gradientDepth: number } }).state.gradientDepth > 0;
}

export function skipInputGradient(layer: tfl.layers.Layer): void {
  const conv = layer as unknown as ConvInternals;
  const fused = conv.call.bind(layer);
  conv.call = (inputs, kwargs) => {
    if (!recordingGradients() || conv.dataFormat !== 'channelsLast') return fused(inputs, kwargs);
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      let y: tf.Tensor = tf.conv2d(x, conv.kernel.read() as tf.Tensor4D, conv.strides, conv.padding, 'NHWC', conv.dilationRate);
      if (conv.bias !== null) y = tf.add(y, conv.bias.read());
      return conv.activation.apply(y);
    });
  };
}
