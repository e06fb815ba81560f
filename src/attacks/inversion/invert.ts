/**
 * Gradient inversion as Geiping et al. ("Inverting Gradients", NeurIPS 2020)
 * run it in their reference code: minimise
 *   1 - cos(grad_theta L(x', y), g)  +  tv * TV(x')
 * over dummy images x', the cosine taken over the whole concatenated gradient;
 * Adam on the SIGN of the image gradient; x' clamped to the valid pixel box
 * after each step; learning rate x0.1 at 3/8, 5/8 and 7/8 of the iterations;
 * several restarts from N(0, 1), the one with the lowest objective kept.
 * Labels: iDLG at batch 1 (the true class is the one whose column of the last
 * layer's weight gradient sums to a negative number: dL/dW[:, c] =
 * a (p_c - y_c) with a >= 0 after ReLU); at larger batches, class counts from
 * the last bias gradient, B (mean p_c - g_c), with mean p_c taken from the
 * model on the dummy images.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../common/rng.js';
import { PrivmedError } from '../../common/errors.js';
import type { NamedWeights } from '../../training/weights.js';
import { meanCrossEntropy, orderedWeights, smallCnnLogits } from './functional-cnn.js';
import type { ImageShape } from './image-metrics.js';

export interface InversionOptions {
  /** The global weights the update was computed from. */
  weights: readonly NamedWeights[];
  /** The observed gradient direction (for an update w1 - w0 of plain SGD: -(w1 - w0)), same names as `weights`. */
  target: readonly NamedWeights[];
  /** Images to reconstruct. */
  batch: number;
  shape: ImageShape;
  numClasses: number;
  /** Per-channel valid range of the optimised images (the normalised space). */
  box: { lo: number[]; hi: number[] };
  /**
   * When the network was trained on raw pixels (a node that exchanged no statistics), it sees
   * x * scale + shift per channel: the attack still optimises in the normalised space, as the
   * reference code does, and maps its images back to pixels for the network.
   */
  inputAffine?: { scale: number[]; shift: number[] };
  labels?: number[];
  iterations: number;
  restarts: number;
  lr?: number;
  tv?: number;
  seed: number;
  onProgress?: (p: { restart: number; iteration: number; loss: number }) => void;
}

export interface InversionResult {
  /** Reconstructions in the model's input space (NHWC, one array per image). */
  images: Float32Array[];
  labels: number[];
  labelSource: 'given' | 'idlg' | 'bias-counts';
  loss: number;
}

/** Labels from the last layer's gradient (see the header). */
export function inferLabels(weights: NamedWeights[], target: NamedWeights[], batch: number, k: number, meanProbs: number[]): { labels: number[]; source: 'idlg' | 'bias-counts' } {
  const kernel = target[8]!.data;
  if (batch === 1) {
    const sums = new Float64Array(k);
    for (let i = 0; i < kernel.length; i++) sums[i % k] += kernel[i]!;
    let best = 0;
    for (let c = 1; c < k; c++) if (sums[c]! < sums[best]!) best = c;
    return { labels: [best], source: 'idlg' };
  }
  void weights;
  const bias = target[9]!.data;
  const raw = Array.from({ length: k }, (_, c) => Math.max(0, batch * (meanProbs[c]! - bias[c]!)));
  const counts = raw.map(Math.floor);
  // Largest remainders until the counts add up to the batch.
  const order = raw.map((r, c) => ({ c, rem: r - Math.floor(r) })).sort((a, b) => b.rem - a.rem);
  for (let i = 0, total = counts.reduce((a, b) => a + b, 0); total < batch; i++, total++) counts[order[i % k]!.c]!++;
  while (counts.reduce((a, b) => a + b, 0) > batch) counts[counts.indexOf(Math.max(...counts))]!--;
  return { labels: counts.flatMap((n, c) => Array<number>(n).fill(c)), source: 'bias-counts' };
}

function totalVariation(x: tf.Tensor4D): tf.Scalar {
  const [b, h, w, c] = x.shape;
  const dx = tf.sub(tf.slice(x, [0, 0, 1, 0], [b, h, w - 1, c]), tf.slice(x, [0, 0, 0, 0], [b, h, w - 1, c]));
  const dy = tf.sub(tf.slice(x, [0, 1, 0, 0], [b, h - 1, w, c]), tf.slice(x, [0, 0, 0, 0], [b, h - 1, w, c]));
  return tf.add(tf.mean(tf.abs(dx)), tf.mean(tf.abs(dy))) as tf.Scalar;
}

export function invertGradient(o: InversionOptions): InversionResult {
  const weights = orderedWeights(o.weights);
  const byName = new Map(o.target.map((t) => [t.name, t]));
  const target = weights.map((w) => {
    const t = byName.get(w.name) ?? o.target.find((x) => x.name.replace(/_\d+$/, '') === w.name.replace(/_\d+$/, ''));
    if (!t || t.data.length !== w.data.length) throw new PrivmedError(`the observed update has no tensor '${w.name}' of ${w.data.length} values`);
    return t;
  });
  const { height: h, width: w, channels: c } = o.shape;
  const lr0 = o.lr ?? 0.1;
  const tvWeight = o.tv ?? 1e-2;
  const k = o.numClasses;
  const rng = new Rng(o.seed);
  const params = weights.map((p) => tf.tensor(p.data, p.shape));
  const flatTarget = tf.concat(target.map((t) => tf.tensor1d(t.data)));
  const targetNorm = tf.norm(flatTarget);
  const lo = tf.tensor1d(o.box.lo);
  const hi = tf.tensor1d(o.box.hi);
  const randomImages = (): tf.Tensor4D => {
    const v = new Float32Array(o.batch * h * w * c);
    for (let i = 0; i < v.length; i++) v[i] = rng.normal();
    return tf.tidy(() => tf.minimum(tf.maximum(tf.tensor4d(v, [o.batch, h, w, c]), lo), hi));
  };
  const affine = o.inputAffine && { scale: tf.tensor1d(o.inputAffine.scale), shift: tf.tensor1d(o.inputAffine.shift) };
  const toInput = (x: tf.Tensor4D): tf.Tensor4D => (affine ? (tf.add(tf.mul(x, affine.scale), affine.shift) as tf.Tensor4D) : x);
  let labels = o.labels;
  let labelSource: InversionResult['labelSource'] = 'given';
  if (!labels) {
    const probe = randomImages();
    const meanProbs = tf.tidy(() => Array.from(tf.mean(tf.softmax(smallCnnLogits(toInput(probe), params)), 0).dataSync()));
    probe.dispose();
    const inferred = inferLabels(weights, target, o.batch, k, meanProbs);
    labels = inferred.labels;
    labelSource = inferred.source;
  }
  if (labels.length !== o.batch || labels.some((l) => !(Number.isInteger(l) && l >= 0 && l < k))) throw new PrivmedError(`need ${o.batch} labels in 0..${k - 1}, got ${labels.join(',')}`);
  const onehot = tf.oneHot(tf.tensor1d(labels, 'int32'), k) as tf.Tensor2D;

  const objective = (x: tf.Tensor4D): tf.Scalar => {
    const grads = tf.grads((...ps: tf.Tensor[]) => meanCrossEntropy(smallCnnLogits(toInput(x), ps), onehot))(params);
    const flat = tf.concat(grads.map((g) => tf.reshape(g, [-1])));
    const cos = tf.div(tf.sum(tf.mul(flat, flatTarget)), tf.add(tf.mul(tf.norm(flat), targetNorm), 1e-12));
    return tf.add(tf.sub(1, cos), tf.mul(tvWeight, totalVariation(x))) as tf.Scalar;
  };
  const gradOf = tf.valueAndGrad(objective);

  let best: { images: Float32Array[]; loss: number } | null = null;
  const milestones = [3 / 8, 5 / 8, 7 / 8].map((f) => Math.floor(o.iterations * f));
  for (let r = 0; r < o.restarts; r++) {
    let x = randomImages();
    let m: tf.Tensor = tf.zerosLike(x);
    let v: tf.Tensor = tf.zerosLike(x);
    let loss = Infinity;
    for (let it = 0; it < o.iterations; it++) {
      const lr = lr0 * 0.1 ** milestones.filter((s) => it >= s).length;
      const { value, grad } = gradOf(x);
      loss = value.dataSync()[0]!;
      const t = it + 1;
      const [nx, nm, nv] = tf.tidy(() => {
        const s = tf.sign(grad);
        const m1 = tf.add(tf.mul(m, 0.9), tf.mul(s, 0.1));
        const v1 = tf.add(tf.mul(v, 0.999), tf.mul(tf.square(s), 0.001));
        const step = tf.div(tf.div(m1, 1 - 0.9 ** t), tf.add(tf.sqrt(tf.div(v1, 1 - 0.999 ** t)), 1e-8));
        return [tf.minimum(tf.maximum(tf.sub(x, tf.mul(step, lr)), lo), hi) as tf.Tensor4D, m1, v1];
      });
      tf.dispose([value, grad, x, m, v]);
      x = nx!;
      m = nm!;
      v = nv!;
      if (o.onProgress && (it % 100 === 0 || it === o.iterations - 1)) o.onProgress({ restart: r, iteration: it, loss });
    }
    // The objective at the final images (the loop's last value is one step behind).
    const final = tf.tidy(() => objective(x).dataSync()[0]!);
    if (!best || final < best.loss) {
      const data = x.dataSync() as Float32Array;
      const per = h * w * c;
      best = { images: Array.from({ length: o.batch }, (_, i) => data.slice(i * per, (i + 1) * per)), loss: final };
    }
    tf.dispose([x, m, v]);
    void loss;
  }
  tf.dispose([...params, flatTarget, targetNorm, lo, hi, onehot, ...(affine ? [affine.scale, affine.shift] : [])]);
  return { images: best!.images, labels, labelSource, loss: best!.loss };
}
