/**
 * Reading float32 tensors without copying them off the backend. tfjs's
 * dataSync on wasm copies the tensor out of the heap (slice of the memory);
 * DP-SGD reads every sample's gradient of every layer (tens of MB a step)
 * only to scan it twice, so it reads them here, in place, instead.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/**
 * The values of float32 tensors as views on the wasm heap (no copy), or
 * copies (dataSync) on other backends. The views are valid until the next
 * tensor is allocated or any of these tensors is disposed (the
 * single-threaded heap may move when it grows): take them right before use,
 * all at once, and keep the tensors alive while reading.
 */
export function readInPlace(ts: readonly tf.Tensor[]): Float32Array[] {
  if (ts.some((t) => t.dtype !== 'float32')) throw new Error(`readInPlace: float32 tensors only, got ${ts.map((t) => t.dtype).join(', ')}`);
  if (tf.getBackend() !== 'wasm') return ts.map((t) => t.dataSync() as Float32Array);
  const backend = tf.backend() as BackendWasm;
  return ts.map((t) => backend.typedArrayFromHeap(t as never) as Float32Array);
}
