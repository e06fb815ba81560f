/**
 * dx for convolutions with very few input channels (the first layer: 1 or 3),
 * where the polyphase formulation makes XNNPACK produce 1..3 output channels,
 * a sliver of its 8-wide tiles. Instead:
 *   cols = dy (positions x co) . W^T (co x taps*ci)   on XNNPACK, then
 *   dx   = col2im(cols): every tap's column is added at its input position.
 * The scatter costs taps*ci adds per output position, small next to the GEMM
 * when ci is small.
 */
import type { backend_util, TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmScope } from './wasm-scope.js';

export function inputGradByCol2im(scope: WasmScope, dy: TensorInfo, filter: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: oh, outWidth: ow, outChannels: co } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const tapCols = kh * kw * ci;
  // W [kh, kw, ci, co] is already the (taps*ci) x co matrix; the product wants its transpose.
  const wT = scope.run('Transpose', { x: scope.view(filter, [tapCols, co]) }, { perm: [1, 0] });
  const cols = scope.run('BatchMatMul', { a: scope.view(dy, [1, n * oh * ow, co]), b: scope.view(wT, [1, co, tapCols]) }, {
    transposeA: false,
    transposeB: false,
  });
  scope.release(wT);
  const dx = scope.alloc([n, h, w, ci]);
  const heap = scope.heapF32();
  const dst = scope.offsetF32(dx);
  heap.fill(0, dst, dst + n * h * w * ci);
  let src = scope.offsetF32(cols);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++, src += tapCols) {
        for (let r = 0; r < kh; r++) {
          const row = i * sh + r - top;
          if (row < 0 || row >= h) continue;
          const rowBase = dst + (b * h + row) * w * ci;
          for (let c = 0; c < kw; c++) {
            const col = j * sw + c - left;
            if (col < 0 || col >= w) continue;
            const to = rowBase + col * ci;
            const from = src + (r * kw + c) * ci;
            for (let k = 0; k < ci; k++) heap[to + k] += heap[from + k]!;
          }
        }
      }
    }
  }
  return dx;
}
