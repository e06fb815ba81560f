/**
 * An out-of-distribution score for classifiers: the Mahalanobis distance of
 * an input's penultimate features (the input of the last layer) to the
 * nearest class mean, with one covariance shared by the classes (Lee et al.,
 * NeurIPS 2018), fitted on the validation set. Unlike the softmax, it does
 * not grow confident on inputs far from the data: a CT slice or noise that
 * the model calls "pneumonia 0.9997" still lands far from every class.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { PrivmedError } from '../common/errors.js';
import { batches, type Dataset } from '../data/dataset.js';

/** Up to this many features the covariance is full (stored as its inverse); above, diagonal. */
const FULL_COVARIANCE_MAX_FEATURES = 256;

export interface MahalanobisModel {
  kind: 'mahalanobis';
  /** Class means of the features, k x d. */
  classMeans: number[][];
  /** Inverse of the shared (shrunk) covariance, d x d; or null with `inverseVariance` (diagonal). */
  precision: number[][] | null;
  inverseVariance: number[] | null;
}

/** The model with a second output: the features that enter its last layer. */
export function withFeatures(model: tfl.LayersModel): tfl.LayersModel {
  const last = model.layers[model.layers.length - 1];
  const input = last?.input;
  if (!input || Array.isArray(input)) throw new PrivmedError('the model has no single input to its last layer to take features from');
  return tfl.model({ inputs: model.inputs, outputs: [input, model.outputs[0]!] });
}

/** Features (n x d) and labels of every item of `ds`, through `featured` (withFeatures). */
export async function datasetFeatures(featured: tfl.LayersModel, ds: Dataset): Promise<{ features: Float32Array[]; labels: Int32Array; images: Float32Array[] }> {
  const { height, width, channels } = ds.info;
  const features: Float32Array[] = [];
  const images: Float32Array[] = [];
  const labels: number[] = [];
  for await (const b of batches(ds, { batchSize: 64 })) {
    const f = tf.tidy(() => tf.reshape((featured.apply(tf.tensor4d(b.x, [b.size, height, width, channels]), { training: false }) as tf.Tensor[])[0]!, [b.size, -1]));
    const data = (await f.data()) as Float32Array;
    const d = f.shape[1]!;
    f.dispose();
    const n = height * width * channels;
    for (let i = 0; i < b.size; i++) {
      features.push(data.slice(i * d, (i + 1) * d));
      images.push(b.x.slice(i * n, (i + 1) * n));
    }
    labels.push(...b.y);
  }
  return { features, labels: Int32Array.from(labels), images };
}

export function fitMahalanobis(features: readonly Float32Array[], labels: Int32Array, classes: number): MahalanobisModel {
  if (features.length < 2) throw new PrivmedError(`an out-of-distribution score needs validation data; got ${features.length} images`);
  const d = features[0]!.length;
  const sums = Array.from({ length: classes }, () => new Float64Array(d));
  const counts = new Float64Array(classes);
  features.forEach((f, i) => {
    counts[labels[i]!]!++;
    for (let j = 0; j < d; j++) sums[labels[i]!]![j]! += f[j]!;
  });
  const classMeans = sums.map((s, k) => Array.from(s, (v) => (counts[k]! > 0 ? v / counts[k]! : 0)));
  const full = d <= FULL_COVARIANCE_MAX_FEATURES;
  const cov = new Float64Array(full ? d * d : d);
  for (let i = 0; i < features.length; i++) {
    const mu = classMeans[labels[i]!]!;
    const r = Array.from(features[i]!, (v, j) => v - mu[j]!);
    if (full) for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) cov[a * d + b]! += r[a]! * r[b]!;
    else for (let a = 0; a < d; a++) cov[a]! += r[a]! * r[a]!;
  }
  for (let i = 0; i < cov.length; i++) cov[i]! /= features.length;
  // Shrinkage: few validation images, many features (and dead ReLUs) make the covariance singular,
  // and distances of unseen images longer than those of the images it was fitted on. Towards the
  // diagonal by d / (n + d), plus a ridge.
  let trace = 0;
  for (let a = 0; a < d; a++) trace += full ? cov[a * d + a]! : cov[a]!;
  const ridge = 0.01 * (trace / d) + 1e-6;
  if (!full) return { kind: 'mahalanobis', classMeans, precision: null, inverseVariance: Array.from(cov, (v) => 1 / (v + ridge)) };
  const alpha = d / (features.length + d);
  for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) if (a !== b) cov[a * d + b]! *= 1 - alpha;
  for (let a = 0; a < d; a++) cov[a * d + a]! += ridge;
  return { kind: 'mahalanobis', classMeans, precision: invertSymmetric(cov, d), inverseVariance: null };
}

/** sqrt of the smallest squared Mahalanobis distance of `f` to a class mean. */
export function mahalanobisScore(m: MahalanobisModel, f: ArrayLike<number>): number {
  let best = Infinity;
  const d = m.classMeans[0]!.length;
  if (f.length !== d) throw new PrivmedError(`the model gives ${f.length} features, the stored score expects ${d}`);
  const r = new Float64Array(d);
  for (const mu of m.classMeans) {
    for (let j = 0; j < d; j++) r[j] = f[j]! - mu[j]!;
    let s = 0;
    if (m.precision) {
      for (let a = 0; a < d; a++) {
        const row = m.precision[a]!;
        let t = 0;
        for (let b = 0; b < d; b++) t += row[b]! * r[b]!;
        s += r[a]! * t;
      }
    } else for (let a = 0; a < d; a++) s += m.inverseVariance![a]! * r[a]! * r[a]!;
    best = Math.min(best, s);
  }
  return Math.sqrt(Math.max(0, best));
}

/** Inverse of a symmetric positive definite matrix by Cholesky (row-major d x d in, rows out). */
function invertSymmetric(a: Float64Array, d: number): number[][] {
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * d + j]!;
      for (let k = 0; k < j; k++) s -= l[i * d + k]! * l[j * d + k]!;
      if (i === j) {
        if (!(s > 0)) throw new PrivmedError('the feature covariance is not positive definite');
        l[i * d + i] = Math.sqrt(s);
      } else l[i * d + j] = s / l[j * d + j]!;
    }
  }
  // inv(A) = inv(L)^T inv(L); columns of inv(L) by forward substitution.
  const inv = new Float64Array(d * d);
  for (let c = 0; c < d; c++) {
    for (let i = c; i < d; i++) {
      let s = i === c ? 1 : 0;
      for (let k = c; k < i; k++) s -= l[i * d + k]! * inv[k * d + c]!;
      inv[i * d + c] = s / l[i * d + i]!;
    }
  }
  return Array.from({ length: d }, (_, i) =>
    Array.from({ length: d }, (_, j) => {
      let s = 0;
      for (let k = Math.max(i, j); k < d; k++) s += inv[k * d + i]! * inv[k * d + j]!;
      return Number(s.toPrecision(7));
    }),
  );
}

/**
 * The image's layout: its mean over a grid x grid tiling, per channel. A
 * chest X-ray, a CT slice, a brain slice and noise differ there before any
 * learned feature does, and a Mahalanobis distance on it is a second score.
 */
export function layoutFeatures(x: ArrayLike<number>, shape: readonly [number, number, number], grid: number): Float32Array {
  const [h, w, c] = shape;
  const out = new Float32Array(grid * grid * c);
  const counts = new Float32Array(grid * grid);
  for (let r = 0; r < h; r++) {
    const gr = Math.min(grid - 1, Math.floor((r * grid) / h));
    for (let q = 0; q < w; q++) {
      const cell = gr * grid + Math.min(grid - 1, Math.floor((q * grid) / w));
      counts[cell]!++;
      for (let k = 0; k < c; k++) out[cell * c + k]! += x[(r * w + q) * c + k]!;
    }
  }
  for (let cell = 0; cell < grid * grid; cell++) for (let k = 0; k < c; k++) out[cell * c + k]! /= Math.max(1, counts[cell]!);
  return out;
}

/** The q-quantile (0..1) of values, by linear interpolation. */
export function quantile(values: readonly number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const at = q * (s.length - 1);
  const lo = Math.floor(at);
  return s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (at - lo);
}
