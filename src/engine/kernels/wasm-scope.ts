/**
 * A scope for one call of a privmed kernel on the wasm backend: it runs the
 * backend's own (XNNPACK-backed) kernels on intermediate tensors and frees
 * every intermediate when the call ends, so a kernel cannot leak heap memory
 * even when it throws half-way.
 */
import { util, type DataType, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { builtinKernel } from './builtin-kernels.js';

export class WasmScope {
  private readonly owned = new Set<TensorInfo>();
  private readonly aliases = new Set<TensorInfo>();

  constructor(readonly backend: BackendWasm) {}

  /** Runs one of the backend's own kernels; its output lives until the scope ends. */
  run(kernelName: string, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap = {}): TensorInfo {
    const out = builtinKernel(kernelName).kernelFunc({ inputs, backend: this.backend, attrs });
    if (Array.isArray(out)) throw new Error(`kernel '${kernelName}' returned several outputs`);
    this.owned.add(out);
    return out;
  }

  /** Takes ownership of a tensor some kernel produced, so the scope frees it. */
  own(t: TensorInfo): TensorInfo {
    this.owned.add(t);
    return t;
  }

  /** A fresh, uninitialised float32 tensor on the wasm heap, freed with the scope. */
  alloc(shape: number[], dtype: DataType = 'float32'): TensorInfo {
    const out = this.backend.makeOutput(shape, dtype);
    this.owned.add(out);
    return out;
  }

  /**
   * A float32 tensor over `shape.length` elements of `base`'s memory starting
   * at element `offset`, registered with the backend so its kernels accept it.
   * It owns no memory: it is unregistered, never freed, and must not outlive
   * `base`. Lets XNNPACK read shifted windows of a buffer without a copy.
   */
  alias(base: TensorInfo, offset: number, shape: number[]): TensorInfo {
    const memoryOffset = this.backend.dataIdMap.get(base.dataId).memoryOffset + offset * 4;
    const t = this.backend.makeOutput(shape, 'float32', memoryOffset);
    this.aliases.add(t);
    return t;
  }

  /** Unregisters an alias now (its XNNPACK operators, e.g. packed weights, go with it). */
  unalias(t: TensorInfo): void {
    if (!this.aliases.delete(t)) throw new Error('unalias(): not an alias of this scope');
    this.forget(t);
  }

  private forget(t: TensorInfo): void {
    const data = this.backend.dataIdMap.get(t.dataId);
    if (data === undefined) return;
    this.backend.wasm.tfjs.disposeData(data.id);
    this.backend.dataIdMap.delete(t.dataId);
  }

  /** Same memory seen with another shape (no copy); valid while the source lives. */
  view(t: TensorInfo, shape: number[]): TensorInfo {
    if (util.sizeFromShape(shape) !== util.sizeFromShape(t.shape)) {
      throw new Error(`cannot view shape [${t.shape}] as [${shape}]`);
    }
    return { dataId: t.dataId, shape, dtype: t.dtype };
  }

  /**
   * The tensor's elements as a Float32Array over the current wasm heap. Take it
   * after the last allocation: a growing heap detaches older views.
   */
  f32(t: TensorInfo): Float32Array {
    return this.backend.typedArrayFromHeap(t) as Float32Array;
  }

  /** Frees an intermediate early, to keep peak memory down in long kernels. */
  release(t: TensorInfo): void {
    for (const o of this.owned) {
      if (o.dataId === t.dataId) {
        this.owned.delete(o);
        this.backend.disposeData(o.dataId);
        return;
      }
    }
  }

  /** The whole wasm heap as float32, for copies between tensors; take it after the last allocation. */
  heapF32(): Float32Array {
    // The module's typings omit the Emscripten heap views it has at runtime.
    const { HEAPU8 } = this.backend.wasm as unknown as { HEAPU8: Uint8Array };
    return new Float32Array(HEAPU8.buffer);
  }

  /** Index of the tensor's first element in `heapF32()`. */
  offsetF32(t: TensorInfo): number {
    return this.backend.dataIdMap.get(t.dataId).memoryOffset / 4;
  }

  /** Hands `t` (an output of this scope) to the caller: it will not be freed. */
  keep(t: TensorInfo, shape: number[] = t.shape): TensorInfo {
    let found: TensorInfo | undefined;
    for (const o of this.owned) if (o.dataId === t.dataId) found = o;
    if (found === undefined) throw new Error('keep(): tensor is not owned by this scope');
    this.owned.delete(found);
    return { dataId: t.dataId, shape, dtype: t.dtype };
  }

  dispose(): void {
    for (const t of this.aliases) this.forget(t);
    this.aliases.clear();
    for (const t of this.owned) this.backend.disposeData(t.dataId);
    this.owned.clear();
  }
}

/** Runs `body` in a fresh scope and frees all its intermediates afterwards. */
export function withScope<T>(backend: BackendWasm, body: (scope: WasmScope) => T): T {
  const scope = new WasmScope(backend);
  try {
    return body(scope);
  } finally {
    scope.dispose();
  }
}
