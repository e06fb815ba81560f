/**
 * privmed's own WebAssembly SIMD kernels (assembly/, built by `npm run build`
 * into dist/wasm). They import tfjs-backend-wasm's memory and work on tensors
 * where they lie. Only the threaded build's memory is shared and so
 * importable; with one thread (PRIVMED_THREADS=1) the JavaScript kernels run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { wasmApi } from '../wasm-api.js';

export interface SimdKernels {
  maxPoolGrad2x2(x: number, dy: number, dx: number, n: number, h: number, w: number, c: number, oh: number, ow: number): void;
  maxPoolGradAny(
    x: number, dy: number, dx: number, n: number, h: number, w: number, c: number, oh: number, ow: number,
    fh: number, fw: number, sh: number, sw: number, top: number, left: number,
  ): void;
  reluGrad(dy: number, x: number, dx: number, size: number): void;
}

/** From dist/src/engine/kernels (built) or src/engine/kernels (tsx, after a build). */
const CANDIDATES = ['../../../wasm/privmed-kernels.wasm', '../../../dist/wasm/privmed-kernels.wasm'];

let forcedOff = false;
const instances = new WeakMap<object, SimdKernels | null>();

/** Tests and benchmarks switch the SIMD kernels off to exercise or compare the JavaScript ones. */
export function disableSimdKernels(off: boolean): void {
  forcedOff = off;
}

export function simdKernels(backend: BackendWasm): SimdKernels | null {
  if (forcedOff) return null;
  const module = backend.wasm as unknown as { wasmMemory?: { buffer: unknown } };
  if (!(module.wasmMemory?.buffer instanceof SharedArrayBuffer)) return null;
  let kernels = instances.get(module);
  if (kernels === undefined) {
    kernels = instantiate(module.wasmMemory);
    instances.set(module, kernels);
  }
  return kernels;
}

function instantiate(memory: unknown): SimdKernels | null {
  const file = CANDIDATES.map((rel) => fileURLToPath(new URL(rel, import.meta.url))).find((p) => existsSync(p));
  if (file === undefined) {
    process.emitWarning('privmed: dist/wasm/privmed-kernels.wasm is missing (run `npm run build`); using the slower JavaScript kernels');
    return null;
  }
  const instance = new wasmApi.Instance(new wasmApi.Module(readFileSync(file)), { env: { memory } });
  return instance.exports as SimdKernels;
}
