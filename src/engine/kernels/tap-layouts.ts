/**
 * Two ways to present X_tap (ci x K, channel-major) and dY (K x co) to the
 * per-tap GEMMs of filter-grad-tap-gemm.ts.
 *
 * ShiftedGrid: x is laid out once, channel-major, on a zero-padded grid (one
 *   grid per stride phase, so strided convs need no zero-insertion) and dY is
 *   padded onto the same grid with zeros off the valid outputs. Every X_tap is
 *   then the same buffer read from a different offset: an alias, no copy. The
 *   price is the grid's padding, multiplied through the GEMM: small for large
 *   images, up to 65% extra for 7x7 maps.
 *   Reads that run past a grid row land on finite neighbours (or the zeroed
 *   tail) and always meet a zero of dY, so they add exactly nothing.
 *
 * Gathered: K spans only the valid outputs and X_tap is copied per tap from a
 *   channel-major copy of x. The copy is 1/co of the GEMM's work, so this wins
 *   where the grid padding would be costly and co is large (deep, small maps).
 */
import type { backend_util, TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmScope } from './wasm-scope.js';

/**
 * Largest K per GEMM. XNNPACK re-reads the packed dY chunk (K x co floats) for
 * every few rows of X, so it should stay cache-resident (4 MB); each chunk
 * also costs calls and a summation of ci x co partial results, so deep layers
 * want few. Measured: anything from 1k to 16k changes little (< 5%) on the
 * benchmark layers; one chunk helps the 14x14 / 7x7 ResNet layers.
 */
const MAX_PACKED_FLOATS = 1 << 20;

/** GEMMs thinner than this stack the rows of several taps (copied; cheap for few channels). */
const MIN_GEMM_ROWS = 32;

/**
 * Gather when (grid padding waste) x co exceeds this: copying a float costs
 * about this many GEMM multiply-adds. Measured: shifted grid wins for 28x28x128
 * (19) and 16x16x64 (17), gathering for 14x14x256 (78) and 7x7x512 (330).
 */
const COPY_COST_IN_MACS = 24;

export interface TapLayout {
  chunks: number;
  tapsPerGemm: number;
  /** dY rows of one chunk: [1, K, co]; an alias the caller unaliases. */
  weights(chunk: number): TensorInfo;
  /** X rows for `count` taps from `first` (row-major taps), then ci: [1, count * ci, K]; an alias. */
  rows(chunk: number, first: number, count: number): TensorInfo;
}

export type TapLayoutName = 'shifted-grid' | 'gathered';

let forced: TapLayoutName | null = null;
let forcedChunkK: number | null = null;

/**
 * Tests and benchmarks pin one layout (null: automatic) and optionally a K
 * limit per GEMM (1: one image per chunk) to exercise every path.
 */
export function forceTapLayout(name: TapLayoutName | null, maxK: number | null = null): void {
  forced = name;
  forcedChunkK = maxK;
}

function maxChunkK(co: number): number {
  return forcedChunkK ?? Math.min(16384, Math.max(256, Math.floor(MAX_PACKED_FLOATS / co)));
}

export function tapLayoutFor(info: backend_util.Conv2DInfo): TapLayoutName {
  if (forced !== null) return forced;
  const grid = gridSize(info);
  const waste = (grid.h * grid.w) / (info.outHeight * info.outWidth) - 1;
  return waste * info.outChannels > COPY_COST_IN_MACS ? 'gathered' : 'shifted-grid';
}

export function chooseTapLayout(scope: WasmScope, x: TensorInfo, dy: TensorInfo, info: backend_util.Conv2DInfo): TapLayout {
  return tapLayoutFor(info) === 'gathered' ? gatheredLayout(scope, x, dy, info) : shiftedGridLayout(scope, x, dy, info);
}

function tapsPerGemm(info: backend_util.Conv2DInfo): number {
  return Math.min(info.filterHeight * info.filterWidth, Math.max(1, Math.floor(MIN_GEMM_ROWS / info.inChannels)));
}

/** Whole images per chunk: the largest divisor of the batch whose K fits maxChunkK (at least 1). */
function imagesPerChunk(batch: number, kPerImage: number, co: number): number {
  let best = 1;
  for (let g = 1; g <= batch; g++) if (batch % g === 0 && g * kPerImage <= maxChunkK(co)) best = g;
  return best;
}

/** Row i of a phase grid holds input row sh*i + phase - padTop; output o meets grid rows o .. o + (kh-1)/sh. */
function gridSize(info: backend_util.Conv2DInfo): { h: number; w: number } {
  return {
    h: info.outHeight + Math.floor((info.filterHeight - 1) / info.strideHeight),
    w: info.outWidth + Math.floor((info.filterWidth - 1) / info.strideWidth),
  };
}

function shiftedGridLayout(scope: WasmScope, x: TensorInfo, dy: TensorInfo, info: backend_util.Conv2DInfo): TapLayout {
  const { batchSize: n, inChannels: ci, outChannels: co, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const grid = gridSize(info);
  const g = imagesPerChunk(n, grid.h * grid.w, co);
  const chunkK = g * grid.h * grid.w;
  const tail = Math.floor((info.filterHeight - 1) / sh) * grid.w + Math.floor((kw - 1) / sw);
  const phaseSize = n * ci * grid.h * grid.w;
  const xGrid = scope.alloc([sh * sw * phaseSize + tail]);
  const dyGrid = scope.alloc([n, grid.h, grid.w, co]);
  fillInputGrids(scope, x, xGrid, info, grid, g, tail);
  fillGradientGrid(scope, dy, dyGrid, info, grid);
  const perGemm = tapsPerGemm(info);
  const stacked = perGemm > 1 ? scope.alloc([perGemm * ci * chunkK]) : null;

  const rowsOfTap = (chunk: number, t: number): number => {
    const r = Math.floor(t / kw);
    const c = t % kw;
    const phase = (r % sh) * sw + (c % sw);
    const shift = Math.floor(r / sh) * grid.w + Math.floor(c / sw);
    return phase * phaseSize + chunk * ci * chunkK + shift;
  };
  return {
    chunks: n / g,
    tapsPerGemm: perGemm,
    weights: (chunk) => scope.alias(dyGrid, chunk * chunkK * co, [1, chunkK, co]),
    rows(chunk, first, count) {
      if (stacked === null) return scope.alias(xGrid, rowsOfTap(chunk, first), [1, ci, chunkK]);
      const heap = scope.heapF32();
      const from0 = scope.offsetF32(xGrid);
      let dst = scope.offsetF32(stacked);
      for (let t = first; t < first + count; t++, dst += ci * chunkK) {
        const from = from0 + rowsOfTap(chunk, t);
        heap.copyWithin(dst, from, from + ci * chunkK);
      }
      return scope.alias(stacked, 0, [1, count * ci, chunkK]);
    },
  };
}

/**
 * xGrid[phase][chunk][c][image][i][j] = x[b, sh*i + ph - top, sw*j + pw - left, c], 0 off the image;
 * phase = ph*sw + pw, b = chunk*g + image. The tail is zero. Phases no tap reads are left unwritten.
 */
function fillInputGrids(
  scope: WasmScope, x: TensorInfo, xGrid: TensorInfo, info: backend_util.Conv2DInfo,
  grid: { h: number; w: number }, g: number, tail: number,
): void {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, strideHeight: sh, strideWidth: sw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const heap = scope.heapF32();
  const src = scope.offsetF32(x);
  let dst = scope.offsetF32(xGrid);
  const step = sw * ci;
  for (let ph = 0; ph < sh; ph++) {
    for (let pw = 0; pw < sw; pw++) {
      if (ph >= info.filterHeight || pw >= info.filterWidth) {
        dst += n * ci * grid.h * grid.w;
        continue;
      }
      // Grid columns whose input column sw*j + pw - left lies inside the image.
      const jLo = Math.max(0, Math.ceil((left - pw) / sw));
      const jHi = Math.min(grid.w, Math.floor((w - 1 + left - pw) / sw) + 1);
      for (let chunk = 0; chunk < n / g; chunk++) {
        for (let c = 0; c < ci; c++) {
          for (let image = 0; image < g; image++) {
            const b = chunk * g + image;
            for (let i = 0; i < grid.h; i++, dst += grid.w) {
              const row = sh * i + ph - top;
              if (row < 0 || row >= h || jHi <= jLo) {
                heap.fill(0, dst, dst + grid.w);
                continue;
              }
              heap.fill(0, dst, dst + jLo);
              let from = src + ((b * h + row) * w + (sw * jLo + pw - left)) * ci + c;
              for (let j = jLo; j < jHi; j++, from += step) heap[dst + j] = heap[from];
              heap.fill(0, dst + jHi, dst + grid.w);
            }
          }
        }
      }
    }
  }
  heap.fill(0, dst, dst + tail);
}

/** dyGrid[b, i, j, :] = dy[b, i, j, :] on the valid outputs, 0 elsewhere. */
function fillGradientGrid(scope: WasmScope, dy: TensorInfo, dyGrid: TensorInfo, info: backend_util.Conv2DInfo, grid: { h: number; w: number }): void {
  const { batchSize: n, outHeight: oh, outWidth: ow, outChannels: co } = info;
  const heap = scope.heapF32();
  const src = scope.offsetF32(dy);
  const dst = scope.offsetF32(dyGrid);
  heap.fill(0, dst, dst + n * grid.h * grid.w * co);
  const rowLen = ow * co;
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < oh; i++) {
      const from = src + (b * oh + i) * rowLen;
      heap.copyWithin(dst + (b * grid.h + i) * grid.w * co, from, from + rowLen);
    }
  }
}

function gatheredLayout(scope: WasmScope, x: TensorInfo, dy: TensorInfo, info: backend_util.Conv2DInfo): TapLayout {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: oh, outWidth: ow, outChannels: co } = info;
  const { filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const g = imagesPerChunk(n, oh * ow, co);
  const chunkK = g * oh * ow;
  const perGemm = tapsPerGemm(info);
  const byChannel = scope.run('Transpose', { x }, { perm: [3, 0, 1, 2] }); // [ci, n, h, w]
  const rowsBuf = scope.alloc([perGemm * ci * chunkK]);
  return {
    chunks: n / g,
    tapsPerGemm: perGemm,
    weights: (chunk) => scope.alias(dy, chunk * chunkK * co, [1, chunkK, co]),
    rows(chunk, first, count) {
      const heap = scope.heapF32();
      const src = scope.offsetF32(byChannel);
      let dst = scope.offsetF32(rowsBuf);
      for (let t = first; t < first + count; t++) {
        const r = Math.floor(t / kw);
        const c0 = (t % kw) - left;
        // Output columns whose input column sw*o + c0 lies inside the image.
        const oLo = Math.max(0, Math.ceil(-c0 / sw));
        const oHi = Math.min(ow, Math.floor((w - 1 - c0) / sw) + 1);
        for (let c = 0; c < ci; c++) {
          for (let image = 0; image < g; image++) {
            const plane = src + (c * n + chunk * g + image) * h * w;
            for (let o = 0; o < oh; o++, dst += ow) {
              const row = sh * o + r - top;
              if (row < 0 || row >= h || oHi <= oLo) {
                heap.fill(0, dst, dst + ow);
                continue;
              }
              heap.fill(0, dst, dst + oLo);
              let from = plane + row * w + sw * oLo + c0;
              for (let j = oLo; j < oHi; j++, from += sw) heap[dst + j] = heap[from];
              heap.fill(0, dst + oHi, dst + ow);
            }
          }
        }
      }
      return scope.alias(rowsBuf, 0, [1, count * ci, chunkK]);
    },
  };
}
