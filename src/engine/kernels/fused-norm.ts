/**
 * Fused normalisation for GroupNorm and BatchNorm training on wasm: one kernel
 * computes the statistics, normalises, scales and shifts; one computes dx,
 * dgamma and dbeta. tfjs composes the same from moments, sub, mul, rsqrt and
 * their gradients: a dozen full-size passes (and, for groups, transposing
 * reductions) where these need three forward and two backward.
 *
 * PrivmedNorm: inputs x [..., C], gamma [C], beta [C]; attrs groups (0 =
 * BatchNorm: statistics per channel over every other axis; G > 0: per sample
 * and group of C/G channels over H, W), epsilon. Outputs y, mean, variance
 * ([C] for BatchNorm, [N, G] for groups). The statistics outputs feed moving
 * averages only: their gradient is not propagated (the tape hands it zeros).
 * The native add-on runs it when active; JavaScript on the heap otherwise.
 */
import {
  engine, getGradient, registerGradient, util,
  type GradConfig, type KernelConfig, type KernelFunc, type Tensor, type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { NativeAddon } from '../native-addon.js';
import { heapView, offsetOf } from './native-heap.js';
import { noteNativeRun } from './native-kernels.js';

/** The kernel names src/models uses (it cannot import this floor, so it repeats them). */
export const FUSED_NORM = 'PrivmedNorm';
export const FUSED_NORM_GRAD = 'PrivmedNormGrad';
/** Each sample's dgamma and dbeta ([N, C] each) from dy, x and the forward's statistics (DP-SGD). */
export const NORM_PARAM_GRADS = 'PrivmedNormParamGrads';

export interface NormAttrs {
  groups: number;
  epsilon: number;
}

/** x as [N, S, C] with G groups: BatchNorm is one "sample" whose groups are the channels. */
export function normGeometry(shape: readonly number[], groups: number): { N: number; S: number; C: number; G: number } {
  const C = shape[shape.length - 1]!;
  const size = util.sizeFromShape(shape as number[]);
  if (groups === 0) return { N: 1, S: size / C, C, G: C };
  if (shape.length < 2 || C % groups !== 0) throw new Error(`${FUSED_NORM}: ${C} channels of [${shape}] cannot form ${groups} groups`);
  return { N: shape[0]!, S: size / (shape[0]! * C), C, G: groups };
}

function statsShape(shape: readonly number[], groups: number): number[] {
  return groups === 0 ? [shape[shape.length - 1]!] : [shape[0]!, groups];
}

function f32(backend: BackendWasm, t: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

/** JavaScript forward (the wasm engine's path), float64 sums as tfjs-backend-cpu. */
function normForwardJs(x: Float32Array, gamma: Float32Array, beta: Float32Array, y: Float32Array, mean: Float32Array, variance: Float32Array,
  g: ReturnType<typeof normGeometry>, eps: number): void {
  const { N, S, C, G } = g;
  const cg = C / G, count = S * cg;
  const acc = new Float64Array(C), m = new Float64Array(C), a = new Float64Array(C);
  for (let n = 0; n < N; n++) {
    const base = n * S * C;
    acc.fill(0);
    for (let s = 0, o = base; s < S; s++) for (let c = 0; c < C; c++, o++) acc[c] += x[o]!;
    for (let k = 0; k < G; k++) {
      let t = 0;
      for (let c = k * cg; c < (k + 1) * cg; c++) t += acc[c]!;
      for (let c = k * cg; c < (k + 1) * cg; c++) m[c] = t / count;
      mean[n * G + k] = t / count;
    }
    acc.fill(0);
    for (let s = 0, o = base; s < S; s++) for (let c = 0; c < C; c++, o++) { const d = x[o]! - m[c]!; acc[c] += d * d; }
    for (let k = 0; k < G; k++) {
      let t = 0;
      for (let c = k * cg; c < (k + 1) * cg; c++) t += acc[c]!;
      variance[n * G + k] = t / count;
      const r = Math.fround(1 / Math.sqrt(Math.fround(variance[n * G + k]! + eps)));
      for (let c = k * cg; c < (k + 1) * cg; c++) a[c] = r * gamma[c]!;
    }
    for (let s = 0, o = base; s < S; s++) for (let c = 0; c < C; c++, o++) y[o] = (x[o]! - m[c]!) * a[c]! + beta[c]!;
  }
}

/** JavaScript gradient: dx = rstd (dy gamma - mean(dy gamma) - xhat mean(dy gamma xhat)) per group. */
function normBackwardJs(dy: Float32Array, x: Float32Array, mean: Float32Array, variance: Float32Array, gamma: Float32Array,
  dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array, g: ReturnType<typeof normGeometry>, eps: number): void {
  const { N, S, C, G } = g;
  const cg = C / G, count = S * cg;
  const sdy = new Float64Array(C), sdyx = new Float64Array(C), dg = new Float64Array(C), db = new Float64Array(C);
  const m = new Float64Array(C), r = new Float64Array(C), k1 = new Float64Array(C), k2 = new Float64Array(C), k0 = new Float64Array(C);
  for (let n = 0; n < N; n++) {
    const base = n * S * C;
    for (let c = 0; c < C; c++) {
      const k = n * G + Math.floor(c / cg);
      m[c] = mean[k]!;
      r[c] = Math.fround(1 / Math.sqrt(Math.fround(variance[k]! + eps)));
    }
    sdy.fill(0);
    sdyx.fill(0);
    for (let s = 0, o = base; s < S; s++) {
      for (let c = 0; c < C; c++, o++) { const d = dy[o]!; sdy[c] += d; sdyx[c] += d * (x[o]! - m[c]!) * r[c]!; }
    }
    for (let k = 0; k < G; k++) {
      let A = 0, B = 0;
      for (let c = k * cg; c < (k + 1) * cg; c++) { A += sdy[c]! * gamma[c]!; B += sdyx[c]! * gamma[c]!; }
      for (let c = k * cg; c < (k + 1) * cg; c++) { k1[c] = r[c]! * gamma[c]!; k2[c] = (r[c]! * r[c]! * B) / count; k0[c] = (r[c]! * A) / count; }
    }
    for (let c = 0; c < C; c++) { db[c] += sdy[c]!; dg[c] += sdyx[c]!; }
    for (let s = 0, o = base; s < S; s++) for (let c = 0; c < C; c++, o++) dx[o] = dy[o]! * k1[c]! - (x[o]! - m[c]!) * k2[c]! - k0[c]!;
  }
  dgamma.set(dg);
  dbeta.set(db);
}

function checkFloat32(...ts: TensorInfo[]): void {
  for (const t of ts) if (t.dtype !== 'float32') throw new Error(`${FUSED_NORM}: expected float32 tensors, got ${t.dtype}`);
}

export function fusedNormConfig(native: () => NativeAddon | null): KernelConfig {
  const kernelFunc = ({ inputs, backend, attrs }: { inputs: { x: TensorInfo; gamma: TensorInfo; beta: TensorInfo }; backend: BackendWasm; attrs: NormAttrs }) => {
    const { x, gamma, beta } = inputs;
    checkFloat32(x, gamma, beta);
    const g = normGeometry(x.shape, attrs.groups);
    const y = backend.makeOutput(x.shape, 'float32');
    const mean = backend.makeOutput(statsShape(x.shape, attrs.groups), 'float32');
    const variance = backend.makeOutput(statsShape(x.shape, attrs.groups), 'float32');
    const addon = native();
    const off = (t: TensorInfo) => offsetOf(backend, t);
    if (addon !== null && addon.norm(heapView(backend), off(x), off(gamma), off(beta), off(y), off(mean), off(variance), g.N, g.S, g.C, g.G, attrs.epsilon) === 0) {
      noteNativeRun();
    } else {
      normForwardJs(f32(backend, x), f32(backend, gamma), f32(backend, beta), f32(backend, y), f32(backend, mean), f32(backend, variance), g, attrs.epsilon);
    }
    return [y, mean, variance];
  };
  return { kernelName: FUSED_NORM, backendName: 'wasm', kernelFunc: kernelFunc as unknown as KernelFunc };
}

export function fusedNormGradConfig(native: () => NativeAddon | null): KernelConfig {
  const kernelFunc = ({ inputs, backend, attrs }: {
    inputs: { dy: TensorInfo; x: TensorInfo; mean: TensorInfo; variance: TensorInfo; gamma: TensorInfo }; backend: BackendWasm; attrs: NormAttrs;
  }) => {
    const { dy, x, mean, variance, gamma } = inputs;
    checkFloat32(dy, x, mean, variance, gamma);
    const g = normGeometry(x.shape, attrs.groups);
    const dx = backend.makeOutput(x.shape, 'float32');
    const dgamma = backend.makeOutput([g.C], 'float32');
    const dbeta = backend.makeOutput([g.C], 'float32');
    const addon = native();
    const off = (t: TensorInfo) => offsetOf(backend, t);
    if (addon !== null && addon.normGrad(heapView(backend), off(dy), off(x), off(mean), off(variance), off(gamma), off(dx), off(dgamma), off(dbeta), g.N, g.S, g.C, g.G, attrs.epsilon) === 0) {
      noteNativeRun();
    } else {
      normBackwardJs(f32(backend, dy), f32(backend, x), f32(backend, mean), f32(backend, variance), f32(backend, gamma),
        f32(backend, dx), f32(backend, dgamma), f32(backend, dbeta), g, attrs.epsilon);
    }
    return [dx, dgamma, dbeta];
  };
  return { kernelName: FUSED_NORM_GRAD, backendName: 'wasm', kernelFunc: kernelFunc as unknown as KernelFunc };
}

/** JavaScript per-sample dgamma, dbeta: sums over each sample's pixels of dy * xhat and dy. */
function normParamGradsJs(dy: Float32Array, x: Float32Array, mean: Float32Array, variance: Float32Array, dgamma: Float32Array, dbeta: Float32Array,
  g: ReturnType<typeof normGeometry>, eps: number): void {
  const { N, S, C, G } = g;
  const cg = C / G;
  const sdy = new Float64Array(C), sdyx = new Float64Array(C), m = new Float64Array(C), r = new Float64Array(C);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const k = n * G + Math.floor(c / cg);
      m[c] = mean[k]!;
      r[c] = Math.fround(1 / Math.sqrt(Math.fround(variance[k]! + eps)));
    }
    sdy.fill(0);
    sdyx.fill(0);
    for (let s = 0, o = n * S * C; s < S; s++) for (let c = 0; c < C; c++, o++) { const d = dy[o]!; sdy[c] += d; sdyx[c] += d * (x[o]! - m[c]!) * r[c]!; }
    for (let c = 0; c < C; c++) { dbeta[n * C + c] = sdy[c]!; dgamma[n * C + c] = sdyx[c]!; }
  }
}

export function normParamGradsConfig(native: () => NativeAddon | null): KernelConfig {
  const kernelFunc = ({ inputs, backend, attrs }: { inputs: { dy: TensorInfo; x: TensorInfo; mean: TensorInfo; variance: TensorInfo }; backend: BackendWasm; attrs: NormAttrs }) => {
    const { dy, x, mean, variance } = inputs;
    checkFloat32(dy, x, mean, variance);
    if (attrs.groups < 1) throw new Error(`${NORM_PARAM_GRADS}: per-sample gradients need groups >= 1, got ${attrs.groups}`);
    const g = normGeometry(x.shape, attrs.groups);
    const dgamma = backend.makeOutput([g.N, g.C], 'float32');
    const dbeta = backend.makeOutput([g.N, g.C], 'float32');
    const addon = native();
    const off = (t: TensorInfo) => offsetOf(backend, t);
    if (addon !== null && addon.normParamGrads(heapView(backend), off(dy), off(x), off(mean), off(variance), off(dgamma), off(dbeta), g.N, g.S, g.C, g.G, attrs.epsilon) === 0) {
      noteNativeRun();
    } else {
      normParamGradsJs(f32(backend, dy), f32(backend, x), f32(backend, mean), f32(backend, variance), f32(backend, dgamma), f32(backend, dbeta), g, attrs.epsilon);
    }
    return [dgamma, dbeta];
  };
  return { kernelName: NORM_PARAM_GRADS, backendName: 'wasm', kernelFunc: kernelFunc as unknown as KernelFunc };
}

const gradConfig: GradConfig = {
  kernelName: FUSED_NORM,
  inputsToSave: ['x', 'gamma'],
  outputsToSave: [false, true, true],
  gradFunc: (dys, saved, attrs) => {
    const [x, gamma, mean, variance] = saved as Tensor[];
    const dy = (dys as Tensor[])[0]!;
    const [dx, dgamma, dbeta] = engine().runKernel(FUSED_NORM_GRAD, { dy, x: x!, mean: mean!, variance: variance!, gamma: gamma! }, attrs as never) as Tensor[];
    return { x: () => dx!, gamma: () => dgamma!, beta: () => dbeta! };
  },
};

/** The fused kernel's gradient (global in tfjs, but only the wasm backend has the kernel). Idempotent. */
export function registerFusedNormGradient(): void {
  if (getGradient(FUSED_NORM) !== gradConfig) registerGradient(gradConfig);
}
