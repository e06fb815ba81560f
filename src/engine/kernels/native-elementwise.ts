/**
 * Add, Sub, Multiply and RealDiv on the native add-on (multi-threaded) for
 * the broadcasts BatchNorm and residual blocks use: equal shapes, a scalar, or
 * an operand equal to the trailing dims of the output ([C], [1, 1, 1, C]).
 * Small tensors stay on wasm, where a call costs less than waking the pool.
 */
import { backend_util, util, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { NativeAddon } from '../native-addon.js';
import { heapView, nonEmptyFloat32, offsetOf } from './native-heap.js';

/** Below this many output elements the wasm kernel runs. */
const MIN_NATIVE_SIZE = 32 * 1024;

const OPS: Record<string, number> = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3 };

/** True when `shape` (leading 1s aside) equals the trailing dims of `out`, so element i reads i % size. */
function repeatsAlong(shape: number[], out: number[]): boolean {
  let start = 0;
  while (start < shape.length && shape[start] === 1) start++;
  const s = shape.slice(start);
  return s.length <= out.length && s.every((d, i) => d === out[out.length - s.length + i]);
}

export function nativeBinary(kernelName: string) {
  const op = OPS[kernelName]!;
  return (addon: NativeAddon, backend: BackendWasm, inputs: { a: TensorInfo; b: TensorInfo }): TensorInfo | null => {
    const { a, b } = inputs;
    if (!nonEmptyFloat32(a, b)) return null;
    const outShape = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const n = util.sizeFromShape(outShape);
    if (n < MIN_NATIVE_SIZE || !repeatsAlong(a.shape, outShape) || !repeatsAlong(b.shape, outShape)) return null;
    const out = backend.makeOutput(outShape, 'float32');
    const rc = addon.binary(
      heapView(backend), op, offsetOf(backend, a), util.sizeFromShape(a.shape), offsetOf(backend, b), util.sizeFromShape(b.shape), offsetOf(backend, out), n,
    );
    if (rc === 0) return out;
    backend.disposeData(out.dataId);
    return null;
  };
}

/** Relu (multi-threaded) for float32 tensors of at least MIN_NATIVE_SIZE elements. */
export function nativeRelu(addon: NativeAddon, backend: BackendWasm, inputs: { x: TensorInfo }): TensorInfo | null {
  const { x } = inputs;
  const n = util.sizeFromShape(x.shape);
  if (!nonEmptyFloat32(x) || n < MIN_NATIVE_SIZE) return null;
  const out = backend.makeOutput(x.shape, 'float32');
  if (addon.relu(heapView(backend), offsetOf(backend, x), offsetOf(backend, out), n) === 0) return out;
  backend.disposeData(out.dataId);
  return null;
}
