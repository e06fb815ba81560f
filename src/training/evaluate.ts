/** Runs a model over a dataset and computes the classification metrics. */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { batches, type Dataset } from '../data/dataset.js';
import { classificationMetrics, type ClassificationMetrics } from '../metrics/classification.js';
import { PrivmedError } from '../common/errors.js';
import { foldedInference, type Inference } from '../models/folded-inference.js';

export interface Predictions {
  probs: Float32Array; // [n, numClasses]
  labels: Int32Array;
  indices: Int32Array;
  loss: number;
}

/**
 * Test-time augmentation: 'dihedral' averages the class probabilities over the
 * 8 flips and quarter turns of a square image (histology tiles have no
 * orientation); none by default.
 */
export type Tta = 'dihedral';

function dihedralViews(x: tf.Tensor4D): tf.Tensor4D[] {
  const t = tf.transpose(x, [0, 2, 1, 3]);
  const turns = [x, t].flatMap((v) => [v, tf.reverse(v, 1), tf.reverse(v, 2), tf.reverse(v, [1, 2])]);
  return turns as tf.Tensor4D[];
}

/** The model's probabilities [n, K], averaged over the TTA views (model: the model, or a folded-inference session of it). */
export function classProbabilities(model: Inference, x: tf.Tensor4D, tta: Tta | undefined): tf.Tensor2D {
  if (!tta) return tf.softmax(model.apply(x, { training: false }) as tf.Tensor2D);
  if (x.shape[1] !== x.shape[2]) throw new PrivmedError(`test-time augmentation '${tta}' needs square images, got ${x.shape[1]}x${x.shape[2]}`);
  const views = dihedralViews(x);
  return tf.div(tf.addN(views.map((v) => tf.softmax(model.apply(v, { training: false }) as tf.Tensor2D))), views.length) as tf.Tensor2D;
}

export async function predict(model: tfl.LayersModel, ds: Dataset, batchSize = 128, tta?: Tta): Promise<Predictions> {
  const { height, width, channels, classes } = ds.info;
  const k = classes.length;
  const probs: number[] = [];
  const labels: number[] = [];
  const indices: number[] = [];
  let lossSum = 0;
  // BatchNorms folded into their convolutions for this pass (the weights do not change during it).
  const session = foldedInference(model);
  try {
    for await (const b of batches(ds, { batchSize })) {
      const [p, l] = tf.tidy(() => {
        const x = tf.tensor4d(b.x, [b.size, height, width, channels]);
        if (!tta) {
          const logp = tf.logSoftmax(session.apply(x) as tf.Tensor2D);
          const nll = tf.neg(tf.sum(tf.mul(tf.oneHot(tf.tensor1d(b.y, 'int32'), k), logp)));
          return [tf.exp(logp), nll];
        }
        const probs = classProbabilities(session, x, tta);
        const nll = tf.neg(tf.sum(tf.mul(tf.oneHot(tf.tensor1d(b.y, 'int32'), k), tf.log(tf.maximum(probs, 1e-12)))));
        return [probs, nll];
      });
      probs.push(...(await p.data()));
      lossSum += (await l.data())[0]!;
      tf.dispose([p, l]);
      labels.push(...b.y);
      indices.push(...b.indices);
    }
  } finally {
    session.dispose();
  }
  return { probs: Float32Array.from(probs), labels: Int32Array.from(labels), indices: Int32Array.from(indices), loss: lossSum / Math.max(labels.length, 1) };
}

export async function evaluate(model: tfl.LayersModel, ds: Dataset, batchSize = 128, tta?: Tta): Promise<ClassificationMetrics> {
  const p = await predict(model, ds, batchSize, tta);
  return { ...classificationMetrics(p.labels, p.probs, ds.info.classes.length), loss: p.loss };
}
