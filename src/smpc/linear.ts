/**
 * Linear layers on ring vectors (HWC layout, batch 1): convolution, dense
 * (a 1x1 convolution on a 1x1 image), global sum pooling. Weights are ring
 * elements too (fixed point), so the same code computes the model owner's
 * W (x1 + eps), the data owner's delta a and the dealer's B a.
 *
 * The convolution runs on a kernel handed in from above when there is one
 * (src/secure-inference installs privmed's native add-on: this pure library
 * loads nothing itself), else on the WebAssembly kernel of ring-wasm.ts. Any
 * kernel must give exactly the same ring elements.
 */
import { SmpcError } from './errors.js';
import { ensureMemory, ringKernel } from './ring-wasm.js';

export interface ConvGeometry {
  inH: number;
  inW: number;
  inC: number;
  outC: number;
  kh: number;
  kw: number;
  stride: number;
  padTop: number;
  padLeft: number;
  outH: number;
  outW: number;
}

/** TensorFlow's 'same' and 'valid' output size and padding. */
export function convGeometry(
  input: [number, number, number],
  outC: number,
  kernel: [number, number],
  stride: number,
  padding: 'same' | 'valid',
): ConvGeometry {
  const [inH, inW, inC] = input;
  const [kh, kw] = kernel;
  const dim = (n: number, k: number): [number, number] => {
    if (padding === 'valid') return [Math.floor((n - k) / stride) + 1, 0];
    const out = Math.ceil(n / stride);
    return [out, Math.floor(Math.max((out - 1) * stride + k - n, 0) / 2)];
  };
  const [outH, padTop] = dim(inH, kh);
  const [outW, padLeft] = dim(inW, kw);
  if (outH < 1 || outW < 1) throw new SmpcError('plan', `a ${kh}x${kw} window on ${inH}x${inW} leaves no output`);
  return { inH, inW, inC, outC, kh, kw, stride, padTop, padLeft, outH, outW };
}

export function weightCount(g: ConvGeometry): number {
  return g.kh * g.kw * g.inC * g.outC;
}

function checkConv(x: BigUint64Array, w: BigUint64Array, g: ConvGeometry): void {
  if (x.length !== g.inH * g.inW * g.inC) throw new SmpcError('shape', `conv input has ${x.length} elements, expected ${g.inH}x${g.inW}x${g.inC}`);
  if (w.length !== weightCount(g)) throw new SmpcError('shape', `conv weights have ${w.length} elements, expected ${weightCount(g)}`);
}

/** Writes conv(x, w) mod 2^64 into `out` (all of it); the geometry and lengths are checked before it is called. */
export type RingConvKernel = (x: BigUint64Array, w: BigUint64Array, g: ConvGeometry, out: BigUint64Array) => void;

let ringConvKernel: RingConvKernel | null = null;

/** Installs a faster ring convolution for this process (null: back to WebAssembly). */
export function setRingConvKernel(kernel: RingConvKernel | null): void {
  ringConvKernel = kernel;
}

/** y = conv(x, w) mod 2^64, w in [kh, kw, inC, outC] order (tfjs's): on the installed kernel, else WebAssembly. */
export function convRing(x: BigUint64Array, w: BigUint64Array, g: ConvGeometry): BigUint64Array {
  if (!ringConvKernel) return convRingWasm(x, w, g);
  checkConv(x, w, g);
  const out = new BigUint64Array(g.outH * g.outW * g.outC);
  ringConvKernel(x, w, g, out);
  return out;
}

/** The same convolution with its inner loops in WebAssembly (ring-wasm.ts): the fallback and the reference of other kernels. */
export function convRingWasm(x: BigUint64Array, w: BigUint64Array, g: ConvGeometry): BigUint64Array {
  checkConv(x, w, g);
  const { inH, inW, inC, outC, kh, kw, stride, padTop, padLeft, outH, outW } = g;
  const outLength = outH * outW * outC;
  const mem = ensureMemory(8 * (w.length + x.length + outLength));
  const { rows, rows8 } = ringKernel();
  const groups = inC >> 3;
  const rest = inC & 7;
  const heap = new BigUint64Array(mem.buffer);
  const xOff = w.length;
  const outOff = xOff + x.length;
  heap.set(w, 0);
  heap.set(x, xOff);
  heap.fill(0n, outOff, outOff + outLength);
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      const acc = 8 * (outOff + (oy * outW + ox) * outC);
      for (let ky = 0; ky < kh; ky++) {
        const iy = oy * stride - padTop + ky;
        if (iy < 0 || iy >= inH) continue;
        for (let kx = 0; kx < kw; kx++) {
          const ix = ox * stride - padLeft + kx;
          if (ix < 0 || ix >= inW) continue;
          const wAt = 8 * (ky * kw + kx) * inC * outC;
          const xAt = 8 * (xOff + (iy * inW + ix) * inC);
          if (groups > 0) rows8(acc, wAt, xAt, groups, outC);
          if (rest > 0) rows(acc, wAt + 64 * groups * outC, xAt + 64 * groups, rest, outC);
        }
      }
    }
  }
  return heap.slice(outOff, outOff + outLength);
}

/** The same convolution in BigInt arithmetic: the reference the WebAssembly kernel is tested against. */
export function convRingBigInt(x: BigUint64Array, w: BigUint64Array, g: ConvGeometry): BigUint64Array {
  checkConv(x, w, g);
  const { inH, inW, inC, outC, kh, kw, stride, padTop, padLeft, outH, outW } = g;
  const out = new BigUint64Array(outH * outW * outC);
  for (let oy = 0; oy < outH; oy++)
    for (let ox = 0; ox < outW; ox++)
      for (let ky = 0; ky < kh; ky++) {
        const iy = oy * stride - padTop + ky;
        if (iy < 0 || iy >= inH) continue;
        for (let kx = 0; kx < kw; kx++) {
          const ix = ox * stride - padLeft + kx;
          if (ix < 0 || ix >= inW) continue;
          for (let ci = 0; ci < inC; ci++) {
            const xv = x[(iy * inW + ix) * inC + ci]!;
            const wb = ((ky * kw + kx) * inC + ci) * outC;
            const o = (oy * outW + ox) * outC;
            for (let co = 0; co < outC; co++) out[o + co] = out[o + co]! + xv * w[wb + co]!;
          }
        }
      }
  return out;
}

/** Per channel, the sum over all positions: [H, W, C] -> [C]. */
export function sumPoolRing(x: BigUint64Array, positions: number, channels: number): BigUint64Array {
  if (x.length !== positions * channels) throw new SmpcError('shape', `pool input has ${x.length} elements, expected ${positions}x${channels}`);
  const out = new BigUint64Array(channels);
  for (let p = 0; p < positions; p++) for (let c = 0; c < channels; c++) out[c] = out[c]! + x[p * channels + c]!;
  return out;
}

/** Adds bias (ring) to every position of an [H, W, C] vector, in place. */
export function addBiasRing(y: BigUint64Array, bias: BigUint64Array): void {
  const c = bias.length;
  for (let i = 0; i < y.length; i++) y[i] = y[i]! + bias[i % c]!;
}

/**
 * The windows of a max pool: for each output (HWC order) the input indices it
 * covers, padding left out (TensorFlow's 'same' pads with -infinity).
 */
export function poolWindows(input: [number, number, number], pool: number, stride: number, padding: 'same' | 'valid'): { windows: number[][]; outH: number; outW: number } {
  const [inH, inW, C] = input;
  const g = convGeometry(input, C, [pool, pool], stride, padding);
  const windows: number[][] = [];
  for (let oy = 0; oy < g.outH; oy++)
    for (let ox = 0; ox < g.outW; ox++)
      for (let c = 0; c < C; c++) {
        const win: number[] = [];
        for (let ky = 0; ky < pool; ky++) {
          const iy = oy * stride - g.padTop + ky;
          if (iy < 0 || iy >= inH) continue;
          for (let kx = 0; kx < pool; kx++) {
            const ix = ox * stride - g.padLeft + kx;
            if (ix >= 0 && ix < inW) win.push((iy * inW + ix) * C + c);
          }
        }
        windows.push(win);
      }
  return { windows, outH: g.outH, outW: g.outW };
}
