/**
 * MaxPoolGrad for the wasm backend. The built-in one walks every dx element
 * and re-derives its windows (~10x slower than this); here each window is
 * scanned once, all channels side by side (NHWC keeps them contiguous), and
 * dy is added at the window's arg-max.
 *
 * On the threaded backend (whose memory can be shared) the 2x2 / stride 2
 * case and any pool over a multiple of 4 channels run as WebAssembly SIMD
 * (assembly/pooling.ts); otherwise the JavaScript below.
 *
 * Ties and NaN follow tfjs-backend-cpu exactly: the first strictly greater
 * value in row-major window order wins, starting from -Infinity, so a window
 * of only NaN / -Infinity passes no gradient.
 */
import { backend_util, MaxPoolGrad, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { PrivmedError } from '../../common/errors.js';
import { builtinKernel } from './builtin-kernels.js';
import { simdKernels } from './simd-kernels.js';

interface Args {
  inputs: { dy: TensorInfo; input: TensorInfo; output: TensorInfo };
  backend: BackendWasm;
  attrs: {
    filterSize: [number, number] | number;
    strides: [number, number] | number;
    pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  };
}

export function maxPoolGrad({ inputs, backend, attrs }: Args): TensorInfo {
  const { dy, input: x } = inputs;
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') {
    throw new PrivmedError(`MaxPoolGrad (wasm, privmed): dtype '${x.dtype}' is not supported, only float32`);
  }
  const info = backend_util.computePool2DInfo(
    x.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode,
  );
  if (dy.shape.join() !== info.outShape.join()) {
    throw new PrivmedError(`MaxPoolGrad (wasm, privmed): dy has shape [${dy.shape}], expected [${info.outShape}]`);
  }
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;

  const dx = backend.makeOutput(x.shape, 'float32');
  // Views only after the last allocation: growing the heap detaches them.
  const xs = backend.typedArrayFromHeap(x) as Float32Array;
  const dys = backend.typedArrayFromHeap(dy) as Float32Array;
  const dxs = backend.typedArrayFromHeap(dx) as Float32Array;
  const twoByTwo = fh === 2 && fw === 2 && sh === 2 && sw === 2 && top === 0 && left === 0 && 2 * oh <= h && 2 * ow <= w;
  // 2x2 windows tiling the whole image write every dx element themselves.
  if (!(twoByTwo && 2 * oh === h && 2 * ow === w)) dxs.fill(0);
  const simd = simdKernels(backend);
  if (twoByTwo) {
    if (simd === null) poolGrad2x2(xs, dys, dxs, n, h, w, c, oh, ow);
    else simd.maxPoolGrad2x2(xs.byteOffset, dys.byteOffset, dxs.byteOffset, n, h, w, c, oh, ow);
    return dx;
  }
  if (simd !== null && c % 4 === 0) {
    simd.maxPoolGradAny(xs.byteOffset, dys.byteOffset, dxs.byteOffset, n, h, w, c, oh, ow, fh, fw, sh, sw, top, left);
    return dx;
  }
  const best = new Float32Array(c);
  const where = new Int32Array(c);
  let dyAt = 0;
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < oh; i++) {
      const r0 = i * sh - top;
      const rLo = Math.max(0, r0);
      const rHi = Math.min(h, r0 + fh);
      for (let j = 0; j < ow; j++, dyAt += c) {
        const c0 = j * sw - left;
        const cLo = Math.max(0, c0);
        const cHi = Math.min(w, c0 + fw);
        if (rLo >= rHi || cLo >= cHi) continue; // a window entirely in padding passes nothing
        // The window's first pixel seeds the running max (NaN and -Infinity seed nothing).
        let base = ((b * h + rLo) * w + cLo) * c;
        for (let k = 0; k < c; k++) {
          const v = xs[base + k]!;
          const seeds = v > -Infinity;
          best[k] = seeds ? v : -Infinity;
          where[k] = seeds ? base + k : -1;
        }
        for (let r = rLo; r < rHi; r++) {
          for (let col = r === rLo ? cLo + 1 : cLo; col < cHi; col++) {
            base = ((b * h + r) * w + col) * c;
            for (let k = 0; k < c; k++) {
              const v = xs[base + k]!;
              if (v > best[k]!) {
                best[k] = v;
                where[k] = base + k;
              }
            }
          }
        }
        for (let k = 0; k < c; k++) {
          const p = where[k];
          if (p >= 0) dxs[p] += dys[dyAt + k];
        }
      }
    }
  }
  return dx;
}

/**
 * The common 2x2 / stride 2 pool with every window inside the image: windows
 * do not overlap, so dx is written directly, four taps unrolled per channel.
 */
function poolGrad2x2(xs: Float32Array, dys: Float32Array, dxs: Float32Array, n: number, h: number, w: number, c: number, oh: number, ow: number): void {
  const down = w * c;
  let dyAt = 0;
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++, dyAt += c) {
        const p0 = ((b * h + 2 * i) * w + 2 * j) * c;
        const p1 = p0 + c;
        const p2 = p0 + down;
        const p3 = p2 + c;
        for (let k = 0; k < c; k++) {
          const a0 = xs[p0 + k]!;
          const a1 = xs[p1 + k]!;
          const a2 = xs[p2 + k]!;
          const a3 = xs[p3 + k]!;
          let max = -Infinity;
          let at = -1;
          if (a0 > max) { max = a0; at = 0; }
          if (a1 > max) { max = a1; at = 1; }
          if (a2 > max) { max = a2; at = 2; }
          if (a3 > max) at = 3;
          const g = dys[dyAt + k]!;
          dxs[p0 + k] = at === 0 ? g : 0;
          dxs[p1 + k] = at === 1 ? g : 0;
          dxs[p2 + k] = at === 2 ? g : 0;
          dxs[p3 + k] = at === 3 ? g : 0;
        }
      }
    }
  }
}

export function maxPoolGradConfig(): KernelConfig {
  const original = builtinKernel(MaxPoolGrad);
  return {
    kernelName: MaxPoolGrad,
    backendName: 'wasm',
    setupFunc: original.setupFunc,
    kernelFunc: maxPoolGrad as unknown as KernelFunc,
  };
}
