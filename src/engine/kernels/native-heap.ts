/**
 * Hands tfjs-backend-wasm tensors to the native add-on where they lie: the
 * add-on gets a Uint8Array over the wasm heap and byte offsets into it.
 */
import { util, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

interface HeapModule {
  wasmMemory?: { buffer: ArrayBufferLike };
  HEAPU8: Uint8Array;
}

let lastBuffer: ArrayBufferLike | null = null;
let lastView: Uint8Array | null = null;

/**
 * The heap as it is now. Take it after the last allocation of a kernel: a
 * growing memory gets a new buffer (the threaded build's shared memory keeps
 * its address; the single-threaded build's may move).
 */
export function heapView(backend: BackendWasm): Uint8Array {
  const module = backend.wasm as unknown as HeapModule;
  const buffer = module.wasmMemory?.buffer ?? module.HEAPU8.buffer;
  if (buffer !== lastBuffer || lastView === null) {
    lastBuffer = buffer;
    lastView = new Uint8Array(buffer);
  }
  return lastView;
}

/** Byte offset of a tensor's first element in the heap. */
export function offsetOf(backend: BackendWasm, t: TensorInfo): number {
  return backend.dataIdMap.get(t.dataId).memoryOffset;
}

/** True when every tensor is float32 and holds at least one element. */
export function nonEmptyFloat32(...ts: TensorInfo[]): boolean {
  return ts.every((t) => t.dtype === 'float32' && util.sizeFromShape(t.shape) > 0);
}

export const ACT_NONE = 0;
export const ACT_RELU = 1;
export const ACT_RELU6 = 2;

/** The add-on's code for a fused activation, or null when it has none (the wasm kernel runs). */
export function activationCode(activation: string | undefined): number | null {
  switch (activation ?? 'linear') {
    case 'linear':
      return ACT_NONE;
    case 'relu':
      return ACT_RELU;
    case 'relu6':
      return ACT_RELU6;
    default:
      return null;
  }
}
