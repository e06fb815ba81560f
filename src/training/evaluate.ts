/** Runs a model over a dataset and computes the classification metrics. */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { batches, type Dataset } from '../data/dataset.js';
import { classificationMetrics, type ClassificationMetrics } from '../metrics/classification.js';

export interface Predictions {
  probs: Float32Array; // [n, numClasses]
  labels: Int32Array;
  indices: Int32Array;
  loss: number;
}

export async function predict(model: tfl.LayersModel, ds: Dataset, batchSize = 128): Promise<Predictions> {
  const { height, width, channels, classes } = ds.info;
  const k = classes.length;
  const probs: number[] = [];
  const labels: number[] = [];
  const indices: number[] = [];
  let lossSum = 0;
  for await (const b of batches(ds, { batchSize })) {
    const [p, l] = tf.tidy(() => {
      const logits = model.apply(tf.tensor4d(b.x, [b.size, height, width, channels]), { training: false }) as tf.Tensor2D;
      const logp = tf.logSoftmax(logits);
      const nll = tf.neg(tf.sum(tf.mul(tf.oneHot(tf.tensor1d(b.y, 'int32'), k), logp)));
      return [tf.exp(logp), nll];
    });
    probs.push(...(await p.data()));
    lossSum += (await l.data())[0]!;
    tf.dispose([p, l]);
    labels.push(...b.y);
    indices.push(...b.indices);
  }
  return { probs: Float32Array.from(probs), labels: Int32Array.from(labels), indices: Int32Array.from(indices), loss: lossSum / Math.max(labels.length, 1) };
}

export async function evaluate(model: tfl.LayersModel, ds: Dataset, batchSize = 128): Promise<ClassificationMetrics> {
  const p = await predict(model, ds, batchSize);
  return { ...classificationMetrics(p.labels, p.probs, ds.info.classes.length), loss: p.loss };
}
