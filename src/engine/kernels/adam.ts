/**
 * One Adam step for one variable in one pass (PrivmedAdam): tf.train.adam
 * spends thirteen full-size ops per variable per step. Inputs w, g, m, v;
 * outputs w', m', v' in float32, in tfjs's order of operations, so the values
 * are tfjs's. The native add-on runs it (multi-threaded) when active,
 * JavaScript on the heap otherwise. src/engine/fused-adam.ts drives it.
 */
import { util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { nativeKernels } from '../native-addon.js';
import { heapView, offsetOf } from './native-heap.js';
import { noteNativeRun } from './native-kernels.js';

export const FUSED_ADAM = 'PrivmedAdam';

export interface AdamAttrs {
  beta1: number;
  beta2: number;
  learningRate: number;
  epsilon: number;
  /** 1 - beta1^t and 1 - beta2^t, as tfjs rounds them (float32). */
  c1: number;
  c2: number;
}

const f = Math.fround;

function adamJs(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, w2: Float32Array, m2: Float32Array, v2: Float32Array, a: AdamAttrs): void {
  const b1 = f(a.beta1), b2 = f(a.beta2), ob1 = f(1 - a.beta1), ob2 = f(1 - a.beta2), nlr = f(-a.learningRate), eps = f(a.epsilon);
  const c1 = f(a.c1), c2 = f(a.c2);
  for (let i = 0; i < w.length; i++) {
    const gi = g[i]!;
    const mi = f(f(m[i]! * b1) + f(gi * ob1));
    const vi = f(f(v[i]! * b2) + f(f(gi * gi) * ob2));
    m2[i] = mi;
    v2[i] = vi;
    w2[i] = f(f(f(f(mi / c1) / f(f(Math.sqrt(f(vi / c2))) + eps)) * nlr) + w[i]!);
  }
}

function adam({ inputs, backend, attrs }: { inputs: { w: TensorInfo; g: TensorInfo; m: TensorInfo; v: TensorInfo }; backend: BackendWasm; attrs: AdamAttrs }): TensorInfo[] {
  const { w, g, m, v } = inputs;
  for (const t of [w, g, m, v]) {
    if (t.dtype !== 'float32' || !util.arraysEqual(t.shape, w.shape)) throw new Error(`${FUSED_ADAM}: expected float32 tensors of shape [${w.shape}], got ${t.dtype} [${t.shape}]`);
  }
  const outs = [w, m, v].map((t) => backend.makeOutput(t.shape, 'float32'));
  const [w2, m2, v2] = outs as [TensorInfo, TensorInfo, TensorInfo];
  const n = util.sizeFromShape(w.shape);
  const addon = nativeKernels();
  const off = (t: TensorInfo) => offsetOf(backend, t);
  if (n > 0 && addon !== null &&
    addon.adam(heapView(backend), off(w), off(g), off(m), off(v), off(w2), off(m2), off(v2), n, attrs.beta1, attrs.beta2, attrs.learningRate, attrs.epsilon, attrs.c1, attrs.c2) === 0) {
    noteNativeRun();
    return outs;
  }
  const h = (t: TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;
  adamJs(h(w), h(g), h(m), h(v), h(w2), h(m2), h(v2), attrs);
  return outs;
}

export const adamConfig: KernelConfig = { kernelName: FUSED_ADAM, backendName: 'wasm', kernelFunc: adam as unknown as KernelFunc };
