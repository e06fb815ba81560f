/**
 * Semantic segmentation as a Task: per-pixel softmax over K classes (class 0
 * background). Loss: soft Dice over the foreground classes, cross-entropy
 * averaged over pixels, or their sum (nnU-Net's default). Every loss term is
 * computed per sample (Dice too, not pooled over the batch), so the batch
 * loss is the mean of the per-sample losses DP-SGD clips: the same objective
 * with and without DP. Evaluation scores whole cases: the windows of a
 * volume's slices are stitched back onto its grid and scored in 3-D (Dice,
 * IoU, HD95 per class).
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { PrivmedError } from '../common/errors.js';
import { batches, TransformedDataset, type Batch, type Dataset } from '../data/dataset.js';
import { scoreCase, summariseCases, type CaseScores, type SegmentationMetrics } from '../metrics/segmentation.js';
import { SliceDataset } from '../data/segmentation/slice-dataset.js';
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

/**
 * The SliceDataset under a dataset (the training core evaluates a transformed
 * view of it; the view keeps its items and order).
 */
export function sliceSource(ds: Dataset): SliceDataset {
  let d: Dataset = ds;
  while (!(d instanceof SliceDataset)) {
    if (!(d instanceof TransformedDataset)) throw new PrivmedError('segmentation evaluate: expected the windows of whole cases (a SliceDataset in mode all)');
    d = d.base;
  }
  return d;
}

/**
 * Sliding-window inference over the windows of a SliceDataset ('all' mode),
 * or a view of one:
 * each window's softmax is added into its case's grid (overlaps averaged,
 * padding dropped), and each case's classes (argmax), on its own grid with
 * its slices first, are yielded in case order. `lossOf` receives each
 * batch's summed per-window loss and window count.
 */
export async function* predictCases(
  model: tfl.LayersModel,
  ds: Dataset,
  o: { numClasses: number; batchSize?: number; loss?: PerSampleLoss; lossOf?: (sum: number, windows: number) => void },
): AsyncGenerator<{ ci: number; pred: Int32Array }> {
  const k = o.numClasses;
  const { height: ph, width: pw, channels: ch } = ds.info;
  const windows = sliceSource(ds);
  let cur: { ci: number; sum: Float32Array } | null = null;
  const finish = (acc: { ci: number; sum: Float32Array }) => {
    const pred = new Int32Array(acc.sum.length / k);
    for (let v = 0; v < pred.length; v++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (acc.sum[v * k + c]! > acc.sum[v * k + best]!) best = c;
      pred[v] = best;
    }
    return { ci: acc.ci, pred };
  };
  for await (const b of batches(ds, { batchSize: o.batchSize ?? 32 })) {
    const logits = tf.tidy(() => model.apply(tf.tensor4d(b.x, [b.size, ph, pw, ch]), { training: false }) as tf.Tensor);
    if (logits.shape[3] !== k) throw new PrivmedError(`segmentation: the model gives ${logits.shape[3]} classes, the task has ${k}`);
    if (o.loss && o.lossOf) {
      const lossT = tf.tidy(() => tf.sum(o.loss!(logits, maskLabels(b))));
      o.lossOf((await lossT.data())[0]!, b.size);
      lossT.dispose();
    }
    const probsT = tf.softmax(logits);
    const p = (await probsT.data()) as Float32Array;
    tf.dispose([logits, probsT]);
    for (let i = 0; i < b.size; i++) {
      const { ci, s, y0, x0 } = windows.window(b.indices[i]!);
      const c = windows.cases[ci]!;
      if (!cur || cur.ci !== ci) {
        if (cur) yield finish(cur);
        cur = { ci, sum: new Float32Array(c.depth * c.height * c.width * k) };
      }
      const r0 = Math.max(0, -y0);
      const r1 = Math.min(ph, c.height - y0);
      const q0 = Math.max(0, -x0);
      const q1 = Math.min(pw, c.width - x0);
      for (let r = r0; r < r1; r++) {
        for (let q = q0; q < q1; q++) {
          const v = ((s * c.height + r + y0) * c.width + q + x0) * k;
          const at = ((i * ph + r) * pw + q) * k;
          for (let j = 0; j < k; j++) cur.sum[v + j] = cur.sum[v + j]! + p[at + j]!;
        }
      }
    }
  }
  if (cur) yield finish(cur);
}

/**
 * Scores a model on whole cases: every window of every slice predicted,
 * stitched back onto each case's own grid (padding dropped), and scored in
 * 3-D against the case's labels.
 */
export async function evaluateSegmentation(model: tfl.LayersModel, ds: Dataset, o: SegmentationTaskOptions): Promise<SegmentationMetrics & { cases: CaseScores[] }> {
  const source = sliceSource(ds);
  const k = o.numClasses;
  const cases: CaseScores[] = [];
  let lossSum = 0;
  let seen = 0;
  const run = predictCases(model, ds, {
    numClasses: k,
    ...(o.batchSize ? { batchSize: o.batchSize } : {}),
    loss: segmentationLossPerSample(k, o.loss),
    lossOf: (sum, n) => {
      lossSum += sum;
      seen += n;
    },
  });
  for await (const { ci, pred } of run) {
    const c = source.cases[ci]!;
    cases.push(scoreCase(pred, c.mask, k, { depth: c.depth, height: c.height, width: c.width }, o.hd95 ?? false));
  }
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
