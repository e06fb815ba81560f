/**
 * Sum and Mean over one contiguous run of axes (e.g. [0, 1, 2] of NHWC: bias
 * and batch norm gradients; [1, 2]: per-sample sums and global average
 * pooling). The built-in wasm reductions first transpose the reduced axes
 * innermost, a strided copy that costs more than the sum; reducing rows of an
 * [outer, rows, cols] view in place needs one sequential pass. Accumulation is in float64, like tfjs-backend-cpu.
 * Any other reduction goes to the built-in kernel.
 */
import { Mean, Sum, util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { builtinKernel } from './builtin-kernels.js';

interface Args {
  inputs: { x: TensorInfo };
  backend: BackendWasm;
  attrs: { axis: number | number[]; keepDims: boolean };
}

/** [first, last] of the axes `axis` names when they are one contiguous run, else null. */
function contiguousAxes(axis: number | number[], shape: number[]): [number, number] | null {
  const axes = [...new Set(util.parseAxisParam(axis, shape))].sort((a, b) => a - b);
  if (axes.length === 0 || axes.some((a, i) => a !== axes[0]! + i)) return null;
  return [axes[0]!, axes[axes.length - 1]!];
}

function reduceRun(kernelName: typeof Sum | typeof Mean, args: Args): TensorInfo {
  const { inputs: { x }, backend, attrs } = args;
  const run = contiguousAxes(attrs.axis, x.shape);
  if (x.dtype !== 'float32' || run === null || util.sizeFromShape(x.shape) === 0) {
    return builtinKernel(kernelName).kernelFunc(args as never) as TensorInfo;
  }
  const [first, last] = run;
  if (last === x.shape.length - 1 && first > 0) return builtinKernel(kernelName).kernelFunc(args as never) as TensorInfo; // innermost: no transpose there
  const outer = util.sizeFromShape(x.shape.slice(0, first));
  const rows = util.sizeFromShape(x.shape.slice(first, last + 1));
  const cols = util.sizeFromShape(x.shape.slice(last + 1));
  const outShape = attrs.keepDims ? x.shape.map((d, i) => (i >= first && i <= last ? 1 : d)) : [...x.shape.slice(0, first), ...x.shape.slice(last + 1)];
  const out = backend.makeOutput(outShape, 'float32');
  const src = backend.typedArrayFromHeap(x) as Float32Array;
  const dst = backend.typedArrayFromHeap(out) as Float32Array;
  const acc = new Float64Array(cols);
  const scale = kernelName === Mean ? 1 / rows : 1;
  for (let o = 0; o < outer; o++) {
    acc.fill(0);
    const base = o * rows * cols;
    // Eight rows per pass: fewer accumulator round trips, about twice as fast.
    let r = 0;
    for (; r + 8 <= rows; r += 8) {
      for (let c = 0, k = base + r * cols; c < cols; c++, k++) {
        acc[c] += src[k]! + src[k + cols]! + (src[k + 2 * cols]! + src[k + 3 * cols]!) +
          (src[k + 4 * cols]! + src[k + 5 * cols]! + (src[k + 6 * cols]! + src[k + 7 * cols]!));
      }
    }
    for (let k = base + r * cols; r < rows; r++) {
      for (let c = 0; c < cols; c++, k++) acc[c] += src[k]!;
    }
    for (let c = 0; c < cols; c++) dst[o * cols + c] = acc[c]! * scale;
  }
  return out;
}

function config(kernelName: typeof Sum | typeof Mean): KernelConfig {
  const original = builtinKernel(kernelName);
  return {
    kernelName,
    backendName: 'wasm',
    setupFunc: original.setupFunc,
    kernelFunc: ((args: Args) => reduceRun(kernelName, args)) as unknown as KernelFunc,
  };
}

export const sumConfig = (): KernelConfig => config(Sum);
export const meanConfig = (): KernelConfig => config(Mean);
