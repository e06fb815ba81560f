import * as tf from '@tensorflow/tfjs-core';

/**
 * The cross-entropy's targets: one-hot, or with label smoothing s the mix
 * (1 - s) one-hot + s / K (Szegedy et al. 2016), which keeps the logits from
 * growing without bound on a small training set.
 */
function targets(labels: tf.Tensor1D, numClasses: number, smoothing: number): tf.Tensor2D {
  const onehot = tf.oneHot(labels, numClasses);
  return smoothing > 0 ? (tf.add(tf.mul(tf.cast(onehot, 'float32'), 1 - smoothing), smoothing / numClasses) as tf.Tensor2D) : (onehot as tf.Tensor2D);
}

/** Mean softmax cross-entropy, each sample weighted by the weight of its class. */
export function weightedCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, classWeights: tf.Tensor1D | null, smoothing = 0): tf.Scalar {
  return tf.tidy(() => {
    const numClasses = logits.shape[1];
    const onehot = targets(labels, numClasses, smoothing);
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

/**
 * One loss per sample: softmax cross-entropy times the weight of the sample's
 * class. DP-SGD needs the per-sample terms (a batch-mean loss would tie every
 * sample's gradient to the batch size and the other samples' weights).
 */
export type PerSampleLoss = (logits: tf.Tensor, labels: tf.Tensor) => tf.Tensor1D;

export function weightedCrossEntropyPerSample(classWeights: readonly number[] | null, smoothing = 0): PerSampleLoss {
  return (logits, labels) =>
    tf.tidy(() => {
      const ce = tf.neg(tf.sum(tf.mul(targets(labels as tf.Tensor1D, logits.shape[1]!, smoothing), tf.logSoftmax(logits)), 1)) as tf.Tensor1D;
      return classWeights ? (tf.mul(ce, tf.gather(tf.tensor1d(classWeights as number[]), labels as tf.Tensor1D)) as tf.Tensor1D) : ce;
    });
}
