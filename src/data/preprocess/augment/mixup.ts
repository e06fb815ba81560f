/**
 * MixUp (Zhang et al., ICLR 2018) on a batch: each example is blended with a
 * partner from a seeded permutation, x = l*x_i + (1-l)*x_j, and the one-hot
 * labels likewise, with l ~ Beta(alpha, alpha) per example.
 */
import type { Rng } from '../../../common/rng.js';
import type { Batch } from '../../dataset.js';

/** Gamma(shape, 1) by Marsaglia and Tsang (2000); shape < 1 via the boost u^(1/shape). */
export function sampleGamma(shape: number, rng: Rng): number {
  if (shape < 1) return sampleGamma(shape + 1, rng) * Math.pow(rng.next() || Number.MIN_VALUE, 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = rng.normal();
    const v = (1 + c * x) ** 3;
    if (v <= 0) continue;
    const u = rng.next();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

export function sampleBeta(a: number, b: number, rng: Rng): number {
  const x = sampleGamma(a, rng);
  const y = sampleGamma(b, rng);
  return x / (x + y);
}

export interface MixedBatch {
  x: Float32Array;
  /** Soft labels, size x numClasses. */
  y: Float32Array;
  size: number;
  lambdas: Float32Array;
}

export function mixup(batch: Batch, numClasses: number, alpha: number, rng: Rng): MixedBatch {
  const n = batch.size;
  const per = batch.x.length / n;
  const partner = Int32Array.from({ length: n }, (_, i) => i);
  rng.shuffle(partner);
  const x = new Float32Array(batch.x.length);
  const y = new Float32Array(n * numClasses);
  const lambdas = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const l = alpha > 0 ? sampleBeta(alpha, alpha, rng) : 1;
    const j = partner[i]!;
    lambdas[i] = l;
    for (let k = 0; k < per; k++) x[i * per + k] = l * batch.x[i * per + k]! + (1 - l) * batch.x[j * per + k]!;
    y[i * numClasses + batch.y[i]!]! += l;
    y[i * numClasses + batch.y[j]!]! += 1 - l;
  }
  return { x, y, size: n, lambdas };
}
