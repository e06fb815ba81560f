/**
 * Runs the same computation on the wasm backend (with privmed kernels) and on
 * the cpu reference backend, on identical inputs, and measures how far apart
 * the results are. Every run also checks that nothing leaked: no tensor and no
 * backend buffer (the privmed kernels' intermediates live only in the latter).
 */
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend.js';
import { Rng } from '../../src/common/rng.js';

export interface Input {
  values: Float32Array;
  shape: number[];
}

/** Tolerance of the engine tests: max |wasm - cpu| / max |cpu|. */
export const TOLERANCE = 1e-5;

/** Runs `f` on `backend` with inputs built from plain arrays; returns the outputs' values. */
export async function runOn(backend: 'wasm' | 'cpu', inputs: Input[], f: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  await initBackend(backend);
  const xs = inputs.map((i) => tf.tensor(i.values, i.shape, 'float32'));
  const tensorsBefore = tf.memory().numTensors;
  const buffersBefore = tf.backend().numDataIds();
  const out = tf.tidy(() => f(...xs));
  const outs = Array.isArray(out) ? out : [out];
  const values = outs.map((t) => t.dataSync() as Float32Array);
  tf.dispose(outs);
  const leakedTensors = tf.memory().numTensors - tensorsBefore;
  const leakedBuffers = tf.backend().numDataIds() - buffersBefore;
  tf.dispose(xs);
  if (leakedTensors !== 0 || leakedBuffers !== 0) {
    throw new Error(`${backend}: leaked ${leakedTensors} tensors and ${leakedBuffers} backend buffers`);
  }
  return values;
}

/** max |a - b| / max |b|: one number per output, robust to individual entries near zero. */
export function relativeError(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= maxDiff)) maxDiff = d; // NaN lands here too and makes the error NaN
    maxRef = Math.max(maxRef, Math.abs(b[i]!));
  }
  return maxRef === 0 ? maxDiff : maxDiff / maxRef;
}

export function randomInput(shape: number[], seed: number): Input {
  const rng = new Rng(seed);
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < values.length; i++) values[i] = rng.uniform(-1, 1);
  return { values, shape };
}

/** Worst relative error of wasm against cpu over all outputs of `f` (NaN if any output disagrees on NaN). */
export async function wasmVsCpu(inputs: Input[], f: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[]): Promise<number> {
  const ref = await runOn('cpu', inputs, f);
  const got = await runOn('wasm', inputs, f);
  let worst = 0;
  for (let i = 0; i < ref.length; i++) {
    const e = relativeError(got[i]!, ref[i]!);
    if (!(e <= worst)) worst = e;
  }
  return worst;
}

/** Output shape of a 2-D convolution, without running one. */
export function convOutShape(xShape: number[], filterShape: number[], stride: number, pad: 'same' | 'valid'): number[] {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number], stride, 1, pad,
  ).outShape;
}

/** Random conv shapes for property tests: odd sizes, strides 1-3, same/valid padding. */
export const CONV_SHAPE = {
  n: fc.integer({ min: 1, max: 3 }),
  h: fc.integer({ min: 1, max: 12 }),
  w: fc.integer({ min: 1, max: 12 }),
  ci: fc.integer({ min: 1, max: 6 }),
  co: fc.integer({ min: 1, max: 6 }),
  kh: fc.integer({ min: 1, max: 5 }),
  kw: fc.integer({ min: 1, max: 5 }),
  stride: fc.integer({ min: 1, max: 3 }),
  pad: fc.constantFrom<'same' | 'valid'>('same', 'valid'),
  seed: fc.integer({ min: 0, max: 1e6 }),
};

/** 'valid' padding needs the filter to fit in the input. */
export function fits(s: { pad: 'same' | 'valid'; h: number; w: number; kh: number; kw: number }): boolean {
  return s.pad === 'same' || (s.h >= s.kh && s.w >= s.kw);
}
