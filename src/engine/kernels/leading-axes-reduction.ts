/**
 * Sum and Mean over the leading axes (e.g. [0, 1, 2] of NHWC: bias and batch
 * norm gradients, batch statistics). The built-in wasm reductions first
 * transpose the reduced axes innermost, a strided copy that costs more than
 * the sum; reducing rows of a [rows, channels] view in place needs one
 * sequential pass. Accumulation is in float64, like tfjs-backend-cpu.
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

/** Number of leading axes `axis` names, or -1 if it names anything else. */
function leadingAxes(axis: number | number[], shape: number[]): number {
  const axes = [...new Set(util.parseAxisParam(axis, shape))].sort((a, b) => a - b);
  return axes.every((a, i) => a === i) ? axes.length : -1;
}

function reduceLeading(kernelName: typeof Sum | typeof Mean, args: Args): TensorInfo {
  const { inputs: { x }, backend, attrs } = args;
  const lead = leadingAxes(attrs.axis, x.shape);
  if (x.dtype !== 'float32' || lead <= 0 || util.sizeFromShape(x.shape) === 0) {
    return builtinKernel(kernelName).kernelFunc(args as never) as TensorInfo;
  }
  const rows = util.sizeFromShape(x.shape.slice(0, lead));
  const cols = util.sizeFromShape(x.shape.slice(lead));
  const outShape = attrs.keepDims ? x.shape.map((d, i) => (i < lead ? 1 : d)) : x.shape.slice(lead);
  const out = backend.makeOutput(outShape, 'float32');
  const src = backend.typedArrayFromHeap(x) as Float32Array;
  const dst = backend.typedArrayFromHeap(out) as Float32Array;
  const acc = new Float64Array(cols);
  // Eight rows per pass: fewer accumulator round trips, about twice as fast.
  let r = 0;
  for (; r + 8 <= rows; r += 8) {
    for (let c = 0, k = r * cols; c < cols; c++, k++) {
      acc[c] += src[k]! + src[k + cols]! + (src[k + 2 * cols]! + src[k + 3 * cols]!) +
        (src[k + 4 * cols]! + src[k + 5 * cols]! + (src[k + 6 * cols]! + src[k + 7 * cols]!));
    }
  }
  for (let k = r * cols; r < rows; r++) {
    for (let c = 0; c < cols; c++, k++) acc[c] += src[k]!;
  }
  const scale = kernelName === Mean ? 1 / rows : 1;
  for (let c = 0; c < cols; c++) dst[c] = acc[c]! * scale;
  return out;
}

function config(kernelName: typeof Sum | typeof Mean): KernelConfig {
  const original = builtinKernel(kernelName);
  return {
    kernelName,
    backendName: 'wasm',
    setupFunc: original.setupFunc,
    kernelFunc: ((args: Args) => reduceLeading(kernelName, args)) as unknown as KernelFunc,
  };
}

export const sumConfig = (): KernelConfig => config(Sum);
export const meanConfig = (): KernelConfig => config(Mean);
