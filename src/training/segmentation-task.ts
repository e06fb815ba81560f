/**
 * Semantic segmentation as a Task: per-pixel softmax over K classes (class 0
 * background). Loss: soft Dice over the foreground classes, cross-entropy
 * averaged over pixels, or their sum (nnU-Net's default). Every loss term is
 * computed per sample (Dice too, not pooled over the batch), so the batch
 * loss is the mean of the per-sample losses DP-SGD clips: the same objective
 * with and without DP. Evaluation scores whole cases: the slices of a volume
 * are stacked back and scored in 3-D (Dice, IoU, HD95 per class).
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { PrivmedError } from '../common/errors.js';
import { batches, type Batch, type Dataset } from '../data/dataset.js';
import { scoreCase, summariseCases, type CaseScores, type SegmentationMetrics } from '../metrics/segmentation.js';
import type { PerSampleLoss } from './loss.js';
import type { Task } from './task.js';

export type SegmentationLoss = 'dice' | 'ce' | 'dice+ce';
export const SEGMENTATION_LOSSES: readonly SegmentationLoss[] = ['dice', 'ce', 'dice+ce'];

/** Soft-Dice smoothing: keeps an empty slice's Dice defined and its gradient small. */
const SMOOTH = 1;

export function segmentationLossPerSample(numClasses: number, kind: SegmentationLoss = 'dice+ce'): PerSampleLoss {
  return (logits, labels) =>
    tf.tidy(() => {
      const [n, h, w, k] = logits.shape as [number, number, number, number];
      if (k !== numClasses) throw new PrivmedError(`segmentation loss: the model gives ${k} classes, the task has ${numClasses}`);
      const onehot = tf.reshape(tf.oneHot(tf.reshape(labels, [-1]) as tf.Tensor1D, k), [n, h * w, k]);
      const logp = tf.reshape(tf.logSoftmax(logits), [n, h * w, k]);
      let loss: tf.Tensor1D | null = null;
      if (kind !== 'dice') loss = tf.neg(tf.mean(tf.sum(tf.mul(onehot, logp), 2), 1)) as tf.Tensor1D;
      if (kind !== 'ce') {
        const p = tf.exp(logp);
        const inter = tf.sum(tf.mul(p, onehot), 1); // [n, k]
        const total = tf.add(tf.sum(p, 1), tf.sum(onehot, 1));
        const d = tf.div(tf.add(tf.mul(inter, 2), SMOOTH), tf.add(total, SMOOTH));
        const fg = k > 1 ? tf.slice(d, [0, 1], [n, k - 1]) : d;
        const diceLoss = tf.sub(1, tf.mean(fg, 1)) as tf.Tensor1D;
        loss = loss ? (tf.add(loss, diceLoss) as tf.Tensor1D) : diceLoss;
      }
      return loss!;
    });
}

export function maskLabels(batch: Batch): tf.Tensor {
  if (!batch.masks) throw new PrivmedError('segmentation: the batch carries no masks', { hint: 'the data must be image/label pairs (images/ and labels/)' });
  const hw = batch.masks.length / Math.max(batch.size, 1);
  return tf.tensor2d(batch.masks, [batch.size, hw], 'int32');
}

export interface SegmentationTaskOptions {
  numClasses: number;
  loss?: SegmentationLoss;
  /** Compute HD95 in evaluate (a brute-force surface distance; off for per-epoch validation). */
  hd95?: boolean;
  batchSize?: number;
}

/** Predicted classes (argmax) of a batch of images; NHW int32. */
export async function predictMasks(model: tfl.LayersModel, x: Float32Array, size: number): Promise<{ pred: Int32Array; logits: tf.Tensor }> {
  const [h, w, c] = (model.inputs[0]!.shape as number[]).slice(1) as [number, number, number];
  const logits = tf.tidy(() => model.apply(tf.tensor4d(x, [size, h, w, c]), { training: false }) as tf.Tensor);
  const am = tf.argMax(logits, 3);
  const pred = (await am.data()) as Int32Array;
  am.dispose();
  return { pred, logits };
}

/** Scores a model on a dataset whose samples carry masks and cases (slices of a case adjacent, in order). */
export async function evaluateSegmentation(model: tfl.LayersModel, ds: Dataset, o: SegmentationTaskOptions): Promise<SegmentationMetrics & { cases: CaseScores[] }> {
  const { height: h, width: w } = ds.info;
  const k = o.numClasses;
  const perSample = segmentationLossPerSample(k, o.loss);
  const cases: CaseScores[] = [];
  // The case being collected: its slices' predictions and truths, in order.
  const cur = { group: -1, pred: [] as number[], truth: [] as number[], depth: 0 };
  const close = () => {
    if (cur.depth > 0) cases.push(scoreCase(cur.pred, cur.truth, k, { depth: cur.depth, height: h, width: w }, o.hd95 ?? false));
    Object.assign(cur, { group: -1, pred: [], truth: [], depth: 0 });
  };
  let lossSum = 0;
  let seen = 0;
  for await (const b of batches(ds, { batchSize: o.batchSize ?? 32 })) {
    if (!b.masks || !b.groups) throw new PrivmedError('segmentation evaluate: the data carries no masks');
    const { pred, logits } = await predictMasks(model, b.x, b.size);
    const masks = b.masks;
    const lossT = tf.tidy(() => tf.sum(perSample(logits, maskLabels(b))));
    lossSum += (await lossT.data())[0]!;
    tf.dispose([logits, lossT]);
    seen += b.size;
    for (let i = 0; i < b.size; i++) {
      if (b.groups[i] !== cur.group) {
        close();
        cur.group = b.groups[i]!;
      }
      for (let j = i * h * w; j < (i + 1) * h * w; j++) {
        cur.pred.push(pred[j]!);
        cur.truth.push(masks[j]!);
      }
      cur.depth++;
    }
  }
  close();
  return { ...summariseCases(cases, lossSum / Math.max(seen, 1)), cases };
}

export function segmentationTask(o: SegmentationTaskOptions): Task<SegmentationMetrics> {
  const k = o.numClasses;
  if (!Number.isInteger(k) || k < 2) throw new PrivmedError(`segmentation needs at least 2 classes (background and one structure), got ${k}`);
  const perSampleLoss = segmentationLossPerSample(k, o.loss);
  return {
    name: 'segmentation',
    labels: maskLabels,
    loss: (logits, labels) => tf.tidy(() => tf.mean(perSampleLoss(logits, labels)) as tf.Scalar),
    perSampleLoss,
    evaluate: async (model, ds) => {
      const { cases: _cases, ...m } = await evaluateSegmentation(model, ds, o);
      return m;
    },
    score(m, metric) {
      if (metric === 'loss') return -(m.loss ?? Infinity);
      if (metric === 'dice') return m.meanDice;
      throw new PrivmedError(`segmentation has no selection metric '${metric}'`, { hint: 'use dice or loss' });
    },
    headline: (m) => ({ dice: m.meanDice, ...Object.fromEntries(m.dice.map((d, c) => [`dice${c + 1}`, d])) }),
    summary: (m) => ({
      meanDice: m.meanDice,
      meanIou: m.meanIou,
      loss: m.loss ?? NaN,
      cases: m.n,
      ...Object.fromEntries(m.dice.map((d, c) => [`dice_${c + 1}`, d])),
    }),
    dispose: () => {},
  };
}
