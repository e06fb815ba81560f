/**
 * dW for convs with few input channels (the first layer on grey images) as
 * one GEMM over a gathered im2col matrix, stored tap-major:
 *
 *   dW (taps*ci x co) = XcolT (taps*ci x K) . dY (K x co),   K = batch * output positions
 *
 * dY is used as it lies (NHWC is already K x co) and XcolT is thin, so the
 * gather costs about as much as the GEMM. The per-tap formulation spends most
 * of its time laying out zero-padded grids for such layers (measured 8x slower
 * on 32x64x64x1, 3x3 -> 32).
 */
import type { backend_util, TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmScope } from './wasm_scope.js';

/** Gathering costs taps x ci x K copies: worth it while that stays a thin matrix. */
export const IM2COL_MAX_COLUMNS = 64;

export function filterGradByIm2col(scope: WasmScope, x: TensorInfo, dy: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const { batchSize: n, outHeight: oh, outWidth: ow, inChannels: ci, outChannels: co, filterHeight: kh, filterWidth: kw } = info;
  const k = n * oh * ow;
  const xcolT = scope.alloc([1, kh * kw * ci, k]);
  gatherColumns(scope, x, xcolT, info);
  const dw = scope.run('BatchMatMul', { a: xcolT, b: scope.view(dy, [1, k, co]) }, { transposeA: false, transposeB: false });
  return scope.view(dw, [kh, kw, ci, co]);
}

/** xcolT[r, c, ch][b, i, j] = x[b, sh*i + r - top, sw*j + c - left, ch], 0 in the padding. */
function gatherColumns(scope: WasmScope, x: TensorInfo, xcolT: TensorInfo, info: backend_util.Conv2DInfo): void {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: oh, outWidth: ow } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const heap = scope.heapF32();
  const src = scope.offsetF32(x);
  let d = scope.offsetF32(xcolT);
  for (let r = 0; r < kh; r++) {
    for (let c = 0; c < kw; c++) {
      for (let ch = 0; ch < ci; ch++) {
        for (let b = 0; b < n; b++) {
          const image = src + b * h * w * ci + ch;
          for (let i = 0; i < oh; i++) {
            const row = sh * i + r - top;
            if (row < 0 || row >= h) {
              heap.fill(0, d, d + ow);
              d += ow;
              continue;
            }
            const line = image + row * w * ci;
            for (let j = 0; j < ow; j++) {
              const col = sw * j + c - left;
              heap[d++] = col >= 0 && col < w ? heap[line + col * ci]! : 0;
            }
          }
        }
      }
    }
  }
}
