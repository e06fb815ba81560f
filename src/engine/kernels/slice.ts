/**
 * Slice for the wasm backend. The built-in reads its input with
 * backend.readSync, which copies the whole input tensor off the heap on every
 * call: DP-SGD's per-sample gradients slice one sample out of a batch of
 * activations per sample and layer, and spent 12 s of a 15 s step copying.
 * Here the input is read where it lies: one copy of the slice's rows.
 */
import { Slice, slice_util, util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { builtinKernel } from './builtin-kernels.js';

interface Args {
  inputs: { x: TensorInfo };
  backend: BackendWasm;
  attrs: { begin: number | number[]; size: number | number[] };
}

export function slice(args: Args): TensorInfo {
  const { inputs: { x }, backend, attrs } = args;
  if (x.dtype === 'string' || x.shape.length === 0) return builtinKernel(Slice).kernelFunc(args as never) as TensorInfo;
  const [begin, size] = slice_util.parseSliceParams(x as never, attrs.begin, attrs.size);
  const out = backend.makeOutput(size, x.dtype);
  const total = util.sizeFromShape(size);
  if (total === 0) return out;
  // Views after the output's allocation: the single-threaded heap may move when it grows.
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const strides = [...util.computeStrides(x.shape), 1];
  if (slice_util.isSliceContinous(x.shape, begin, size)) {
    const at = slice_util.computeFlatOffset(begin, strides);
    dst.set(src.subarray(at, at + total));
    return out;
  }
  // Row by row over the innermost axis, the outer index counted like an odometer.
  const rank = size.length;
  const rowLen = size[rank - 1]!;
  const index = new Array<number>(rank).fill(0);
  for (let r = 0, o = 0; o < total; r++, o += rowLen) {
    let at = 0;
    for (let d = 0; d < rank; d++) at += (begin[d]! + index[d]!) * strides[d]!;
    dst.set(src.subarray(at, at + rowLen), o);
    for (let d = rank - 2; d >= 0 && ++index[d]! === size[d]; d--) index[d] = 0;
  }
  return out;
}

export const sliceConfig: KernelConfig = { kernelName: Slice, backendName: 'wasm', kernelFunc: slice as unknown as KernelFunc };
