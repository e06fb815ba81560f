/**
 * dW as a single forward convolution: x as a batch of `ci` images whose
 * channels are the samples ([ci, h, w, b]), convolved with dy as an
 * oh x ow filter dilated by the stride ([oh, ow, b, co]), gives
 * [ci, kh, kw, co], i.e. dW with two axes swapped. Simple, but XNNPACK's
 * indirect GEMM then runs with only `batch` channels per tap and streams a
 * huge packed filter, so it is the slower formulation; kept for comparison.
 */
import type { backend_util, TensorInfo } from '@tensorflow/tfjs-core';
import { convPadded } from './conv-padded.js';
import type { WasmScope } from './wasm-scope.js';

export function filterGradByDilatedConv(scope: WasmScope, x: TensorInfo, dy: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const { outHeight: oh, outWidth: ow, filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
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
  return scope.run('Transpose', { x: dwByChannel }, { perm: [1, 2, 0, 3] });
}
