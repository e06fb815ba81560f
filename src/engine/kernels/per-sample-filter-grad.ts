/**
 * PrivmedPerSampleFilterGrad: each sample's conv filter gradient, [B, KH, KW,
 * Cin, Cout], for DP-SGD's vectorised per-sample gradients. Each sample's
 * input and output gradient are aliases into the batch tensors (no slices),
 * and the backend's own Conv2DBackpropFilter (native when the add-on is
 * active, privmed's wasm kernel otherwise) computes that sample's gradient:
 * the same multiply-adds as one batch gradient, on the fastest kernel there
 * is, without per-sample copies of the activations or a stack at the end.
 * Attributes: those of Conv2DBackpropFilter (filterShape is one sample's).
 */
import { getKernel, util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { withScope } from './wasm-scope.js';

export const PER_SAMPLE_FILTER_GRAD = 'PrivmedPerSampleFilterGrad';

interface Attrs {
  strides: number | [number, number];
  pad: unknown;
  dataFormat?: string;
  dilations?: number | [number, number];
  dimRoundingMode?: string;
  filterShape: [number, number, number, number];
}

function perSampleFilterGrad({ inputs, backend, attrs }: { inputs: { x: TensorInfo; dy: TensorInfo }; backend: BackendWasm; attrs: Attrs }): TensorInfo {
  const { x, dy } = inputs;
  if (x.dtype !== 'float32' || dy.dtype !== 'float32' || x.shape.length !== 4 || dy.shape.length !== 4 || x.shape[0] !== dy.shape[0]) {
    throw new Error(`${PER_SAMPLE_FILTER_GRAD}: expected float32 x and dy of rank 4 with one batch size, got ${x.dtype} [${x.shape}] and ${dy.dtype} [${dy.shape}]`);
  }
  const b = x.shape[0]!;
  const perX = util.sizeFromShape(x.shape.slice(1)), perDy = util.sizeFromShape(dy.shape.slice(1));
  const perW = util.sizeFromShape(attrs.filterShape);
  const out = backend.makeOutput([b, ...attrs.filterShape], 'float32');
  const conv = getKernel('Conv2DBackpropFilter', 'wasm');
  if (conv === undefined) throw new Error(`${PER_SAMPLE_FILTER_GRAD}: the wasm backend has no Conv2DBackpropFilter`);
  withScope(backend, (scope) => {
    for (let s = 0; s < b; s++) {
      const xs = scope.alias(x, s * perX, [1, ...x.shape.slice(1)]);
      const dys = scope.alias(dy, s * perDy, [1, ...dy.shape.slice(1)]);
      const g = scope.own(conv.kernelFunc({ inputs: { x: xs, dy: dys }, backend, attrs: attrs as never }) as TensorInfo);
      // After the gradient's allocation: the heap view must be current.
      scope.heapF32().copyWithin(scope.offsetF32(out) + s * perW, scope.offsetF32(g), scope.offsetF32(g) + perW);
      scope.release(g);
      scope.unalias(xs);
      scope.unalias(dys);
    }
  });
  return out;
}

export const perSampleFilterGradConfig: KernelConfig = {
  kernelName: PER_SAMPLE_FILTER_GRAD,
  backendName: 'wasm',
  kernelFunc: perSampleFilterGrad as unknown as KernelFunc,
};
