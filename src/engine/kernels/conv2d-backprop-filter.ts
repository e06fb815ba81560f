/**
 * Conv2DBackpropFilter for the wasm backend, which has none in tfjs 4.22.
 *
 *   dW[kh, kw, ci, co] = sum_{b, oh, ow} x[b, s*oh + kh - pt, s*ow + kw - pl, ci] * dy[b, oh, ow, co]
 *
 * All multiply-adds run in XNNPACK; see filter-grad-tap-gemm.ts.
 */
import { Conv2DBackpropFilter, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { PrivmedError } from '../../common/errors.js';
import { backpropConvInfo, type BackpropConvAttrs } from './conv-attrs.js';
import { filterGradByDilatedConv } from './filter-grad-dilated-conv.js';
import { filterGradByTapGemm } from './filter-grad-tap-gemm.js';
import { withScope } from './wasm-scope.js';

interface Args {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: BackendWasm;
  attrs: BackpropConvAttrs & { filterShape: [number, number, number, number] };
}

export type FilterGradMethod = 'tap-gemm' | 'dilated-conv';

let method: FilterGradMethod = 'tap-gemm';

/** Tests and benchmarks pin one formulation to exercise or compare it. */
export function forceFilterGradMethod(m: FilterGradMethod): void {
  method = m;
}

export function conv2DBackpropFilter({ inputs, backend, attrs }: Args): TensorInfo {
  const { x, dy } = inputs;
  const info = backpropConvInfo(Conv2DBackpropFilter, [x, dy], x.shape, attrs.filterShape, attrs);
  if (dy.shape.join() !== info.outShape.join()) {
    throw new PrivmedError(`Conv2DBackpropFilter (wasm, privmed): dy has shape [${dy.shape}], expected [${info.outShape}]`);
  }
  return withScope(backend, (scope) =>
    scope.keep(method === 'tap-gemm' ? filterGradByTapGemm(scope, x, dy, info) : filterGradByDilatedConv(scope, x, dy, info)),
  );
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as KernelFunc,
};
