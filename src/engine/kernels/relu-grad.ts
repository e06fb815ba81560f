/**
 * ReLU's gradient on the wasm backend in one pass. tfjs-core's gradient is
 * mul(dy, cast(step(x))): three kernels, two temporaries, ~4% of a small-CNN
 * training step. privmed re-registers the Relu gradient to call the fused
 * kernel below on wasm (SIMD on the threaded backend, JavaScript otherwise)
 * and tfjs's own formula on every other backend; the values are the same.
 */
import {
  engine, getBackend, getGradient, Relu, registerGradient,
  type GradConfig, type KernelConfig, type KernelFunc, type Tensor, type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { simdKernels } from './simd-kernels.js';
import { nativeKernels } from '../native-addon.js';
import { heapView, offsetOf } from './native-heap.js';
import { noteNativeRun } from './native-kernels.js';

export const RELU_GRAD = 'PrivmedReluGrad';

interface Args {
  inputs: { dy: TensorInfo; x: TensorInfo };
  backend: BackendWasm;
}

export function reluGrad({ inputs: { dy, x }, backend }: Args): TensorInfo {
  const dx = backend.makeOutput(x.shape, 'float32');
  const addon = nativeKernels();
  if (addon !== null && x.shape.length > 0) {
    const n = (backend.typedArrayFromHeap(x) as Float32Array).length;
    if (addon.reluGrad(heapView(backend), offsetOf(backend, dy), offsetOf(backend, x), offsetOf(backend, dx), n) === 0) {
      noteNativeRun();
      return dx;
    }
  }
  const dys = backend.typedArrayFromHeap(dy) as Float32Array;
  const xs = backend.typedArrayFromHeap(x) as Float32Array;
  const dxs = backend.typedArrayFromHeap(dx) as Float32Array;
  const simd = simdKernels(backend);
  if (simd !== null) {
    simd.reluGrad(dys.byteOffset, xs.byteOffset, dxs.byteOffset, xs.length);
    return dx;
  }
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i]!;
    dxs[i] = dys[i]! * (v !== v ? NaN : v > 0 ? 1 : 0);
  }
  return dx;
}

export const reluGradConfig: KernelConfig = {
  kernelName: RELU_GRAD,
  backendName: 'wasm',
  kernelFunc: reluGrad as unknown as KernelFunc,
};

let original: GradConfig | null = null;

/** Points Relu's gradient at the fused kernel on wasm float32 tensors. Idempotent. */
export function registerReluGradient(): void {
  const current = getGradient(Relu);
  if (current === undefined || current.gradFunc === fusedGradFunc) return;
  original = current;
  registerGradient({ kernelName: Relu, inputsToSave: ['x'], gradFunc: fusedGradFunc });
}

function fusedGradFunc(dy: Tensor | Tensor[], saved: Tensor[], attrs: Parameters<GradConfig['gradFunc']>[2]): Record<string, () => Tensor> {
  const [x] = saved;
  const g = dy as Tensor;
  if (getBackend() !== 'wasm' || x!.dtype !== 'float32' || g.dtype !== 'float32') return original!.gradFunc(dy, saved, attrs);
  return { x: () => engine().runKernel(RELU_GRAD, { dy: g, x: x! }) as Tensor };
}
