/**
 * Fill, ZerosLike and OnesLike for the wasm backend. The built-ins call
 * TypedArray.fill on the heap, which V8 runs element by element when the heap
 * is a SharedArrayBuffer (the threaded build): 14 ms for 16 MB, where a copy
 * takes 4. DP-SGD's per-sample gradients fill an activation-sized probe per
 * layer every step. Here the native add-on fills 32-bit types when active;
 * otherwise one chunk is filled and then doubled by copyWithin.
 */
import { Fill, OnesLike, util, ZerosLike, type DataType, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { builtinKernel } from './builtin-kernels.js';
import { nativeKernels } from '../native-addon.js';
import { heapView, offsetOf } from './native-heap.js';
import { noteNativeRun } from './native-kernels.js';

/** Elements filled directly (in a plain array, then copied in) before doubling. */
const CHUNK = 16 * 1024;

function fillOutput(backend: BackendWasm, shape: number[], dtype: DataType, value: number): TensorInfo {
  const out = backend.makeOutput(shape, dtype);
  const n = util.sizeFromShape(shape);
  if (n === 0) return out;
  const addon = nativeKernels();
  if (addon !== null && dtype !== 'bool') {
    const bits = new Uint32Array((dtype === 'float32' ? Float32Array : Int32Array).of(value).buffer)[0]!;
    if (addon.fill32(heapView(backend), offsetOf(backend, out), bits, n) === 0) {
      noteNativeRun();
      return out;
    }
  }
  const dst = backend.typedArrayFromHeap(out);
  const first = Math.min(n, CHUNK);
  const chunk = dtype === 'float32' ? new Float32Array(first) : dtype === 'int32' ? new Int32Array(first) : new Uint8Array(first);
  chunk.fill(value);
  dst.set(chunk);
  for (let filled = first; filled < n; filled *= 2) dst.copyWithin(filled, 0, Math.min(filled, n - filled));
  return out;
}

const numeric = (dtype: DataType) => dtype === 'float32' || dtype === 'int32' || dtype === 'bool';

function fill(args: { attrs: { shape: number[]; value: number | string; dtype?: DataType }; backend: BackendWasm }): TensorInfo {
  const { shape, value } = args.attrs;
  const dtype = args.attrs.dtype ?? util.inferDtype(value);
  if (typeof value !== 'number' || !numeric(dtype)) return builtinKernel(Fill).kernelFunc(args as never) as TensorInfo;
  return fillOutput(args.backend, shape, dtype, value);
}

function constantLike(kernelName: string, value: number) {
  return (args: { inputs: { x: TensorInfo }; backend: BackendWasm }): TensorInfo => {
    const { x } = args.inputs;
    if (!numeric(x.dtype)) return builtinKernel(kernelName).kernelFunc(args as never) as TensorInfo;
    return fillOutput(args.backend, x.shape, x.dtype, value);
  };
}

export const fillConfig: KernelConfig = { kernelName: Fill, backendName: 'wasm', kernelFunc: fill as unknown as KernelFunc };
export const zerosLikeConfig: KernelConfig = { kernelName: ZerosLike, backendName: 'wasm', kernelFunc: constantLike(ZerosLike, 0) as unknown as KernelFunc };
export const onesLikeConfig: KernelConfig = { kernelName: OnesLike, backendName: 'wasm', kernelFunc: constantLike(OnesLike, 1) as unknown as KernelFunc };
