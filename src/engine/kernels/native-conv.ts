/**
 * Convolutions on the native add-on: forward (Conv2D, FusedConv2D with bias
 * and ReLU/ReLU6), filter gradient and input gradient, NHWC, dilation 1, any
 * stride, padding and filter size. Each returns null for a case it does not
 * take (another dilation or layout, an unfused activation, empty tensors), and
 * the wasm kernel runs instead.
 */
import { backend_util, util, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { NativeAddon } from '../native-addon.js';
import type { BackpropConvAttrs } from './conv-attrs.js';
import { activationCode, heapView, nonEmptyFloat32, offsetOf } from './native-heap.js';

type Info = backend_util.Conv2DInfo;

interface ConvAttrs extends BackpropConvAttrs {
  activation?: string;
}

function unitDilation(attrs: BackpropConvAttrs): boolean {
  const d = attrs.dilations ?? 1;
  return typeof d === 'number' ? d === 1 : d[0] === 1 && d[1] === 1;
}

function convInfo(xShape: number[], filterShape: number[], attrs: BackpropConvAttrs): Info | null {
  if ((attrs.dataFormat ?? 'NHWC') !== 'NHWC' || !unitDilation(attrs) || xShape.length !== 4 || filterShape.length !== 4) return null;
  const info = backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number],
    attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast',
  );
  return util.sizeFromShape(info.outShape) > 0 ? info : null;
}

/** The 13 geometry arguments every conv entry point of the add-on takes. */
function geometry(i: Info): number[] {
  return [
    i.batchSize, i.inHeight, i.inWidth, i.inChannels, i.filterHeight, i.filterWidth, i.outChannels,
    i.outHeight, i.outWidth, i.strideHeight, i.strideWidth, i.padInfo.top, i.padInfo.left,
  ];
}

/** Runs `call` into a fresh output; frees it and returns null if the add-on declines. */
function intoOutput(backend: BackendWasm, shape: number[], call: (out: number, heap: Uint8Array) => number): TensorInfo | null {
  const out = backend.makeOutput(shape, 'float32');
  const rc = call(offsetOf(backend, out), heapView(backend));
  if (rc === 0) return out;
  backend.disposeData(out.dataId);
  return null;
}

export function nativeConv2D(
  addon: NativeAddon, backend: BackendWasm,
  inputs: { x: TensorInfo; filter: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo },
  attrs: ConvAttrs,
): TensorInfo | null {
  const { x, filter, bias, preluActivationWeights } = inputs;
  const act = activationCode(attrs.activation);
  if (act === null || preluActivationWeights !== undefined || !nonEmptyFloat32(x, filter)) return null;
  const info = convInfo(x.shape, filter.shape, attrs);
  if (info === null) return null;
  if (bias !== undefined && (bias.dtype !== 'float32' || util.sizeFromShape(bias.shape) !== info.outChannels || bias.shape.at(-1) !== info.outChannels)) return null;
  return intoOutput(backend, info.outShape, (y, heap) =>
    addon.conv2d(heap, offsetOf(backend, x), offsetOf(backend, filter), bias ? offsetOf(backend, bias) : -1, y, ...geometry(info), act),
  );
}

export function nativeConv2DBackpropFilter(
  addon: NativeAddon, backend: BackendWasm, inputs: { x: TensorInfo; dy: TensorInfo },
  attrs: BackpropConvAttrs & { filterShape: [number, number, number, number] },
): TensorInfo | null {
  const { x, dy } = inputs;
  if (!nonEmptyFloat32(x, dy)) return null;
  const info = convInfo(x.shape, attrs.filterShape, attrs);
  if (info === null || dy.shape.join() !== info.outShape.join()) return null;
  return intoOutput(backend, attrs.filterShape, (dw, heap) =>
    addon.conv2dBackpropFilter(heap, offsetOf(backend, x), offsetOf(backend, dy), dw, ...geometry(info)),
  );
}

/** PrivmedPerSampleFilterGrad: each sample's filter gradient [B, KH, KW, CI, CO], samples in parallel (native/conv-filter-grad.c). */
export function nativePerSampleFilterGrad(
  addon: NativeAddon, backend: BackendWasm, inputs: { x: TensorInfo; dy: TensorInfo },
  attrs: BackpropConvAttrs & { filterShape: [number, number, number, number] },
): TensorInfo | null {
  const { x, dy } = inputs;
  if (!nonEmptyFloat32(x, dy) || typeof addon.conv2dBackpropFilterPerSample !== 'function') return null;
  const info = convInfo(x.shape, attrs.filterShape, attrs);
  if (info === null || dy.shape.join() !== info.outShape.join()) return null;
  return intoOutput(backend, [x.shape[0]!, ...attrs.filterShape], (dw, heap) =>
    addon.conv2dBackpropFilterPerSample(heap, offsetOf(backend, x), offsetOf(backend, dy), dw, ...geometry(info)),
  );
}

export function nativeConv2DBackpropInput(
  addon: NativeAddon, backend: BackendWasm, inputs: { dy: TensorInfo; filter: TensorInfo },
  attrs: BackpropConvAttrs & { inputShape: [number, number, number, number] },
): TensorInfo | null {
  const { dy, filter } = inputs;
  if (!nonEmptyFloat32(dy, filter)) return null;
  const info = convInfo(attrs.inputShape, filter.shape, attrs);
  if (info === null || dy.shape.join() !== info.outShape.join()) return null;
  return intoOutput(backend, attrs.inputShape, (dx, heap) =>
    addon.conv2dBackpropInput(heap, offsetOf(backend, dy), offsetOf(backend, filter), dx, ...geometry(info)),
  );
}
