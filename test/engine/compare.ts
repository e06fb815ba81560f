/**
 * Runs the same computation on the wasm backend (with privmed kernels) and on
 * the cpu reference backend, on identical inputs, and measures how far apart
 * the results are.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend.js';
import { Rng } from '../../src/common/rng.js';

export type Arrays = Float32Array[];

/** Runs `f` on `backend` with inputs built from plain arrays; returns the outputs' values. */
export async function runOn(
  backend: 'wasm' | 'cpu',
  inputs: { values: Float32Array; shape: number[] }[],
  f: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[],
): Promise<Arrays> {
  await initBackend(backend);
  const xs = inputs.map((i) => tf.tensor(i.values, i.shape, 'float32'));
  const before = tf.memory().numTensors;
  const out = tf.tidy(() => f(...xs));
  const outs = Array.isArray(out) ? out : [out];
  const values = outs.map((t) => t.dataSync() as Float32Array);
  tf.dispose(outs);
  const after = tf.memory().numTensors;
  tf.dispose(xs);
  if (after !== before) throw new Error(`${backend}: ${after - before} tensors leaked`);
  return values;
}

/** max |a - b| / max(max |b|, tiny): robust to individual near-zero entries. */
export function relativeError(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= maxDiff)) maxDiff = d; // also catches NaN
    maxRef = Math.max(maxRef, Math.abs(b[i]));
  }
  return maxDiff / Math.max(maxRef, 1e-30);
}

export function randomInput(shape: number[], seed: number): { values: Float32Array; shape: number[] } {
  const rng = new Rng(seed);
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < values.length; i++) values[i] = rng.uniform(-1, 1);
  return { values, shape };
}

/** Worst relative error of wasm against cpu over all outputs of `f`. */
export async function wasmVsCpu(
  inputs: { values: Float32Array; shape: number[] }[],
  f: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[],
): Promise<number> {
  const ref = await runOn('cpu', inputs, f);
  const got = await runOn('wasm', inputs, f);
  return Math.max(...ref.map((r, i) => relativeError(got[i], r)));
}
