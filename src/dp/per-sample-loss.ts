import * as tf from '@tensorflow/tfjs-core';

/**
 * One loss per sample: softmax cross-entropy times the weight of the sample's
 * class. DP-SGD needs the per-sample terms (a batch-mean loss would tie every
 * sample's gradient to the batch size and the other samples' weights).
 */
export type PerSampleLoss = (logits: tf.Tensor2D, labels: tf.Tensor1D) => tf.Tensor1D;

export function weightedCrossEntropyPerSample(classWeights: readonly number[] | null): PerSampleLoss {
  return (logits, labels) =>
    tf.tidy(() => {
      const ce = tf.neg(tf.sum(tf.mul(tf.oneHot(labels, logits.shape[1]), tf.logSoftmax(logits)), 1)) as tf.Tensor1D;
      return classWeights ? (tf.mul(ce, tf.gather(tf.tensor1d(classWeights as number[]), labels)) as tf.Tensor1D) : ce;
    });
}
