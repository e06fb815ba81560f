/**
 * What a black-box attacker reads off a trained classifier for each example:
 * its loss under the true label and LiRA's logit-scaled confidence
 * phi = log p_y - log(sum of the other classes' p), both from one softmax in
 * log space (no 1 - p_y cancellation at confident predictions).
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Dataset } from '../data/dataset.js';

export interface ExampleScores {
  /** Cross-entropy of each example under its label. */
  loss: Float64Array;
  /** log p_y - log(1 - p_y), computed as logsumexp over the other classes. */
  phi: Float64Array;
  /** 1 where the predicted class is the label. */
  correct: Uint8Array;
}

/** Scores of `images` (NHWC, already preprocessed as the model expects) with `labels`. */
export function scoreBatch(model: tfl.LayersModel, images: Float32Array, labels: Int32Array, shape: readonly number[]): ExampleScores {
  const n = labels.length;
  const logp = tf.tidy(() => tf.logSoftmax(model.predict(tf.tensor4d(images, [n, shape[0]!, shape[1]!, shape[2]!])) as tf.Tensor2D));
  const v = logp.dataSync();
  const k = logp.shape[1]!;
  logp.dispose();
  const loss = new Float64Array(n);
  const phi = new Float64Array(n);
  const correct = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const y = labels[i]!;
    const ly = v[i * k + y]!;
    let mx = -Infinity;
    for (let c = 0; c < k; c++) if (c !== y) mx = Math.max(mx, v[i * k + c]!);
    let s = 0;
    for (let c = 0; c < k; c++) if (c !== y) s += Math.exp(v[i * k + c]! - mx);
    loss[i] = -ly;
    phi[i] = ly - (mx + Math.log(s));
    correct[i] = ly >= mx ? 1 : 0;
  }
  return { loss, phi, correct };
}

/** Scores of every example of a dataset, in batches of 256; `label` overrides the stored label (canaries). */
export async function scoreDataset(model: tfl.LayersModel, data: Dataset, label?: (i: number) => number, preprocess?: (x: Float32Array) => Float32Array): Promise<ExampleScores> {
  const { height, width, channels } = data.info;
  const px = height * width * channels;
  const loss = new Float64Array(data.length);
  const phi = new Float64Array(data.length);
  const correct = new Uint8Array(data.length);
  for (let start = 0; start < data.length; start += 256) {
    const n = Math.min(256, data.length - start);
    const x = new Float32Array(n * px);
    const y = new Int32Array(n);
    for (let j = 0; j < n; j++) {
      const s = await data.get(start + j);
      x.set(preprocess ? preprocess(s.image) : s.image, j * px);
      y[j] = label ? label(start + j) : s.label;
    }
    const r = scoreBatch(model, x, y, [height, width, channels]);
    loss.set(r.loss, start);
    phi.set(r.phi, start);
    correct.set(r.correct, start);
  }
  return { loss, phi, correct };
}
