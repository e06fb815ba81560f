/**
 * What a learning task is to the training core: what a label is, the loss
 * (batch mean for ordinary steps, one value per sample for DP-SGD's clipping),
 * and how a model is scored on validation data. The core's loop, the site and
 * DP-SGD see only this interface, so a new task (segmentation) is a new
 * implementation of it, not a new loop.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Batch, Dataset } from '../data/dataset.js';
import type { ClassificationMetrics } from '../metrics/classification.js';
import { PrivmedError } from '../common/errors.js';
import { evaluate } from './evaluate.js';
import { weightedCrossEntropy, weightedCrossEntropyPerSample, type PerSampleLoss } from './loss.js';

/**
 * The model's outputs and the batch's labels to one scalar. Classification:
 * logits [N, K] and class indices [N]; segmentation: logits [N, H, W, K] and
 * masks [N, H, W].
 */
export type BatchLoss = (logits: tf.Tensor, labels: tf.Tensor) => tf.Scalar;

/** What every task's validation metrics carry: examples scored and the mean loss. */
export interface TaskMetrics {
  readonly n: number;
  readonly loss?: number;
}

export interface Task<M extends TaskMetrics = ClassificationMetrics> {
  readonly name: string;
  /** The batch's labels as the tensor the losses take (first axis: the samples). */
  labels(batch: Batch): tf.Tensor;
  readonly loss: BatchLoss;
  readonly perSampleLoss: PerSampleLoss;
  /** Validation metrics over a dataset (the model in inference mode). */
  evaluate(model: tfl.LayersModel, ds: Dataset): Promise<M>;
  /** A metric to select checkpoints and stop early on, oriented so that higher is better. */
  score(m: M, metric: string): number;
  /** The few numbers kept per epoch in the history and the best model's metadata. */
  headline(m: M): Record<string, number>;
  /** The metrics a federation sums across sites, as flat numbers. */
  summary(m: M): Record<string, number>;
  /** Frees the task's tensors (class weights). */
  dispose(): void;
}

/**
 * Image classification with softmax cross-entropy, each sample weighted by
 * its class's weight (PriMIA's balanced weights, or none), optionally with
 * label smoothing (the training loss only; validation scores the plain loss).
 */
export function classificationTask(classWeights: readonly number[] | null, labelSmoothing = 0): Task<ClassificationMetrics> {
  const weights = classWeights ? tf.tensor1d(classWeights as number[]) : null;
  return {
    name: 'classification',
    labels: (batch) => tf.tensor1d(batch.y, 'int32'),
    loss: (logits, labels) => weightedCrossEntropy(logits as tf.Tensor2D, labels as tf.Tensor1D, weights, labelSmoothing),
    perSampleLoss: weightedCrossEntropyPerSample(classWeights, labelSmoothing),
    evaluate: (model, ds) => evaluate(model, ds),
    score(m, metric) {
      if (metric === 'loss') return -(m.loss ?? Infinity);
      if (metric === 'auc' || metric === 'mcc' || metric === 'accuracy') return m[metric];
      throw new PrivmedError(`classification has no selection metric '${metric}'`, { hint: 'use mcc, auc, accuracy or loss' });
    },
    headline: (m) => ({ auc: m.auc, mcc: m.mcc, accuracy: m.accuracy }),
    summary(m) {
      const out: Record<string, number> = { accuracy: m.accuracy, mcc: m.mcc, loss: m.loss ?? NaN };
      // A site whose validation data holds one class has no AUC; leave it out rather than send NaN.
      if (Number.isFinite(m.auc)) out.auc = m.auc;
      // Confusion counts let a coordinator compute the federated MCC exactly.
      if (m.confusion.length === 2) {
        const [[tn, fp], [fn, tp]] = m.confusion as [[number, number], [number, number]];
        Object.assign(out, { tp, fp, tn, fn });
      } else m.confusion.forEach((row, i) => row.forEach((v, j) => (out[`cm_${i}_${j}`] = v)));
      return out;
    },
    dispose: () => weights?.dispose(),
  };
}
