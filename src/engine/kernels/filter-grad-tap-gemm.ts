/**
 * dW = conv filter gradient as small GEMMs, one per filter tap (or per group
 * of taps), all on XNNPACK:
 *
 *   dW[kh, kw] (ci x co) = X_tap (ci x K) . dY (K x co),   K = batch * output positions
 *
 * X_tap is x shifted by the tap, channel-major. dY is the GEMM's weight
 * matrix, packed by XNNPACK once per chunk and reused for every tap. K is cut
 * into chunks of whole images so the packed panel stays cache-resident; the
 * chunk results are summed. How X_tap is produced is the layout's business
 * (tap-layouts.ts): read in place from a padded grid, or gathered.
 */
import type { backend_util, TensorInfo } from '@tensorflow/tfjs-core';
import { chooseTapLayout } from './tap-layouts.js';
import type { WasmScope } from './wasm-scope.js';

export function filterGradByTapGemm(scope: WasmScope, x: TensorInfo, dy: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const { inChannels: ci, outChannels: co, filterHeight: kh, filterWidth: kw } = info;
  const layout = chooseTapLayout(scope, x, dy, info);
  const dw = scope.alloc([kh, kw, ci, co]);
  const taps = kh * kw;
  for (let chunk = 0; chunk < layout.chunks; chunk++) {
    const weights = layout.weights(chunk);
    for (let first = 0; first < taps; first += layout.tapsPerGemm) {
      const count = Math.min(layout.tapsPerGemm, taps - first);
      const rows = layout.rows(chunk, first, count);
      const prod = scope.run('BatchMatMul', { a: rows, b: weights }, { transposeA: false, transposeB: false });
      scope.unalias(rows);
      // dW rows are (tap, ci) in row-major tap order: exactly the GEMM's rows.
      const heap = scope.heapF32();
      const dst = scope.offsetF32(dw) + first * ci * co;
      const src = scope.offsetF32(prod);
      const len = count * ci * co;
      if (chunk === 0) heap.copyWithin(dst, src, src + len);
      else for (let i = 0; i < len; i++) heap[dst + i] += heap[src + i];
      scope.release(prod);
    }
    // Dropping the alias also frees XNNPACK's packed copy of this chunk of dY.
    scope.unalias(weights);
  }
  return dw;
}
