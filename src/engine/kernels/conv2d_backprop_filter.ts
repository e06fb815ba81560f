/**
 * Conv2DBackpropFilter for the wasm backend, which has none in tfjs 4.22.
 *
 *   dW[kh, kw, ci, co] = sum_{b, oh, ow} x[b, s*oh + kh - pt, s*ow + kw - pl, ci] * dy[b, oh, ow, co]
 *
 * is itself a forward convolution: take x as a batch of `ci` images whose
 * channels are the `b` samples ([ci, h, w, b]), and dy as a filter of size
 * oh x ow, dilated by the stride, mapping b channels to co ([oh, ow, b, co]).
 * The output [ci, kh, kw, co] is dW with two axes swapped. XNNPACK's conv then
 * does all the multiply-adds; we only pay three transposes.
 */
import { Conv2DBackpropFilter, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { PrivmedError } from '../../common/errors.js';
import { backpropConvInfo, type BackpropConvAttrs } from './conv_attrs.js';
import { convPadded } from './conv_padded.js';
import { withScope } from './wasm_scope.js';

interface Args {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: BackendWasm;
  attrs: BackpropConvAttrs & { filterShape: [number, number, number, number] };
}

export function conv2DBackpropFilter({ inputs, backend, attrs }: Args): TensorInfo {
  const { x, dy } = inputs;
  const info = backpropConvInfo(Conv2DBackpropFilter, [x, dy], x.shape, attrs.filterShape, attrs);
  const { outHeight: oh, outWidth: ow, filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  if (dy.shape.join() !== info.outShape.join()) {
    throw new PrivmedError(`Conv2DBackpropFilter (wasm, privmed): dy has shape [${dy.shape}], expected [${info.outShape}]`);
  }
  return withScope(backend, (scope) => {
    const xByChannel = scope.run('Transpose', { x }, { perm: [3, 1, 2, 0] });
    const dyAsFilter = scope.run('Transpose', { x: dy }, { perm: [1, 2, 0, 3] });
    const top = info.padInfo.top;
    const left = info.padInfo.left;
    const dwByChannel = convPadded(scope, xByChannel, dyAsFilter, {
      stride: [1, 1],
      dilation: [sh, sw],
      // Exactly enough rows/cols for kh x kw outputs; negative = rows the forward conv never read.
      pad: { top, left, bottom: kh + sh * (oh - 1) - info.inHeight - top, right: kw + sw * (ow - 1) - info.inWidth - left },
    });
    scope.release(xByChannel);
    scope.release(dyAsFilter);
    return scope.keep(scope.run('Transpose', { x: dwByChannel }, { perm: [1, 2, 0, 3] }));
  });
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as KernelFunc,
};
