/** FusedBatchNorm with given statistics (inference) on the native add-on: per-channel [C] statistics over NHWC, multi-threaded. */
import { util, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { NativeAddon } from '../native-addon.js';
import { heapView, nonEmptyFloat32, offsetOf } from './native-heap.js';

/** Below this many elements the wasm kernel runs. */
const MIN_NATIVE_SIZE = 16 * 1024;

interface Inputs {
  x: TensorInfo;
  mean: TensorInfo;
  variance: TensorInfo;
  offset?: TensorInfo;
  scale?: TensorInfo;
}

export function nativeBatchNorm(addon: NativeAddon, backend: BackendWasm, inputs: Inputs, attrs: { varianceEpsilon: number }): TensorInfo | null {
  const { x, mean, variance, offset, scale } = inputs;
  const C = x.shape[x.shape.length - 1]!;
  const perChannel = (t?: TensorInfo) => t === undefined || util.sizeFromShape(t.shape) === C;
  const optional = [offset, scale].filter((t): t is TensorInfo => t !== undefined);
  if (!nonEmptyFloat32(x, mean, variance, ...optional) || x.shape.length < 1 || ![mean, variance, offset, scale].every(perChannel)) return null;
  const n = util.sizeFromShape(x.shape);
  if (n < MIN_NATIVE_SIZE) return null;
  const out = backend.makeOutput(x.shape, 'float32');
  const off = (t?: TensorInfo) => (t === undefined ? -1 : offsetOf(backend, t));
  const rc = addon.batchNorm(heapView(backend), off(x), off(mean), off(variance), off(scale), off(offset), off(out), n, C, attrs.varianceEpsilon);
  if (rc === 0) return out;
  backend.disposeData(out.dataId);
  return null;
}
