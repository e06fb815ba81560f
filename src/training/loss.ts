import * as tf from '@tensorflow/tfjs-core';

/** Mean softmax cross-entropy, each sample weighted by the weight of its class. */
export function weightedCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, classWeights: tf.Tensor1D | null): tf.Scalar {
  return tf.tidy(() => {
    const numClasses = logits.shape[1];
    const onehot = tf.oneHot(labels, numClasses);
    const perSample = tf.neg(tf.sum(tf.mul(onehot, tf.logSoftmax(logits)), 1));
    if (!classWeights) return tf.mean(perSample) as tf.Scalar;
    const w = tf.gather(classWeights, labels);
    return tf.div(tf.sum(tf.mul(perSample, w)), tf.sum(w)) as tf.Scalar;
  });
}

/** PriMIA's 'balanced' weights: n / (k * n_c) per class. */
export function balancedClassWeights(counts: number[]): number[] {
  const n = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => (c > 0 ? n / (counts.length * c) : 0));
}
