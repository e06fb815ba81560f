/**
 * A forward NHWC convolution through the wasm backend's own Conv2D kernel
 * (XNNPACK), with explicit per-side padding that may be negative: a negative
 * pad crops the input instead, which XNNPACK cannot express. The backward
 * kernels are built from this one call.
 */
import { util, type TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmScope } from './wasm-scope.js';

export interface Padding {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

export interface ConvSpec {
  stride: [number, number];
  dilation: [number, number];
  pad: Padding;
}

export function convOutSize(inSize: number, filterSize: number, stride: number, dilation: number, before: number, after: number): number {
  const extent = dilation * (filterSize - 1) + 1;
  return Math.floor((inSize + before + after - extent) / stride) + 1;
}

/** x: [n, h, w, c], filter: [fh, fw, c, o] -> [n, oh, ow, o], owned by `scope`. */
export function convPadded(scope: WasmScope, x: TensorInfo, filter: TensorInfo, spec: ConvSpec): TensorInfo {
  const [n, h, w, c] = x.shape;
  const [fh, fw, fc, o] = filter.shape;
  if (fc !== c) throw new Error(`convPadded: filter expects ${fc} channels, input has ${c}`);
  const { stride, dilation, pad } = spec;
  const outH = convOutSize(h, fh, stride[0], dilation[0], pad.top, pad.bottom);
  const outW = convOutSize(w, fw, stride[1], dilation[1], pad.left, pad.right);
  if (outH <= 0 || outW <= 0) throw new Error(`convPadded: empty output ${outH}x${outW}`);

  // Crop where a pad is negative; what remains is padded by XNNPACK itself.
  const cropTop = Math.max(0, -pad.top);
  const cropLeft = Math.max(0, -pad.left);
  const keptH = h - cropTop - Math.max(0, -pad.bottom);
  const keptW = w - cropLeft - Math.max(0, -pad.right);
  if (keptH <= 0 || keptW <= 0 || n === 0 || c === 0) {
    // Every tap lands in padding: the convolution is identically zero.
    const zeros = scope.alloc([n, outH, outW, o]);
    scope.f32(zeros).fill(0);
    return zeros;
  }
  let input = x;
  if (keptH !== h || keptW !== w) {
    input = scope.run('Slice', { x }, { begin: [0, cropTop, cropLeft, 0], size: [n, keptH, keptW, c] });
  }
  const explicit = [
    [0, 0],
    [Math.max(0, pad.top), Math.max(0, pad.bottom)],
    [Math.max(0, pad.left), Math.max(0, pad.right)],
    [0, 0],
  ];
  const out = scope.run('Conv2D', { x: input, filter }, {
    strides: stride,
    pad: explicit,
    dilations: dilation,
    dataFormat: 'NHWC',
    dimRoundingMode: 'floor',
  } as never);
  util.assert(out.shape[1] === outH && out.shape[2] === outW, () => `convPadded: got [${out.shape}], expected ${outH}x${outW}`);
  return out;
}
