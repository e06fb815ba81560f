/**
 * dx of a convolution as forward convolutions on XNNPACK.
 *   stride 1: dx = conv(dy, W flipped in space, in/out channels swapped);
 *   stride s: one such conv per polyphase component (see polyphase.ts), each
 *             with its sub-filter, whose outputs are interleaved into dx.
 * Exactly the forward conv's multiply-adds; no zeros are inserted into dy.
 */
import type { backend_util, TensorInfo } from '@tensorflow/tfjs-core';
import { convPadded } from './conv-padded.js';
import { phasesAlongAxis, type Phase } from './polyphase.js';
import type { WasmScope } from './wasm-scope.js';

export function inputGradByPolyphase(scope: WasmScope, dy: TensorInfo, filter: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci } = info;
  const rows = phasesAlongAxis(h, info.filterHeight, info.strideHeight, info.padInfo.top, info.outHeight);
  const cols = phasesAlongAxis(w, info.filterWidth, info.strideWidth, info.padInfo.left, info.outWidth);
  // W [kh, kw, ci, co] -> [kh, kw, co, ci]: each tap becomes a contiguous co x ci block.
  const swapped = scope.run('Transpose', { x: filter }, { perm: [0, 1, 3, 2] });
  if (rows.length === 1 && cols.length === 1) {
    return phaseConv(scope, dy, swapped, info.strideHeight, info.strideWidth, rows[0]!, cols[0]!);
  }
  const dx = scope.alloc([n, h, w, ci]);
  if (rows.some((p) => p.taps === 0) || cols.some((p) => p.taps === 0)) scope.f32(dx).fill(0);
  for (const row of rows) {
    for (const col of cols) {
      if (row.taps === 0 || col.taps === 0) continue;
      const part = phaseConv(scope, dy, swapped, info.strideHeight, info.strideWidth, row, col);
      interleave(scope, part, dx, row, col, info.strideHeight, info.strideWidth);
      scope.release(part);
    }
  }
  return dx;
}

/** dx restricted to one (row, col) phase: [n, row.count, col.count, ci]. */
function phaseConv(scope: WasmScope, dy: TensorInfo, swapped: TensorInfo, sh: number, sw: number, row: Phase, col: Phase): TensorInfo {
  const [, kw, co, ci] = swapped.shape;
  const sub = scope.alloc([row.taps, col.taps, co, ci]);
  const heap = scope.heapF32();
  const src = scope.offsetF32(swapped);
  const dst = scope.offsetF32(sub);
  const block = co * ci;
  for (let j = 0; j < row.taps; j++) {
    const tapH = row.firstTap + sh * (row.taps - 1 - j);
    for (let l = 0; l < col.taps; l++) {
      const tapW = col.firstTap + sw * (col.taps - 1 - l);
      const from = src + (tapH * kw + tapW) * block;
      heap.copyWithin(dst + (j * col.taps + l) * block, from, from + block);
    }
  }
  const out = convPadded(scope, dy, sub, {
    stride: [1, 1],
    dilation: [1, 1],
    pad: { top: row.padBefore, bottom: row.padAfter, left: col.padBefore, right: col.padAfter },
  });
  scope.release(sub);
  return out;
}

/** Writes part[b, u, v, :] to dx[b, row.start + sh*u, col.start + sw*v, :]. */
function interleave(scope: WasmScope, part: TensorInfo, dx: TensorInfo, row: Phase, col: Phase, sh: number, sw: number): void {
  const [n, h, w, c] = dx.shape;
  const heap = scope.heapF32();
  let src = scope.offsetF32(part);
  const base = scope.offsetF32(dx);
  for (let b = 0; b < n; b++) {
    for (let u = 0; u < row.count; u++) {
      const rowBase = base + ((b * h + row.start + sh * u) * w + col.start) * c;
      if (sw === 1) {
        heap.copyWithin(rowBase, src, src + col.count * c);
        src += col.count * c;
        continue;
      }
      for (let v = 0; v < col.count; v++) {
        heap.copyWithin(rowBase + sw * v * c, src, src + c);
        src += c;
      }
    }
  }
}
