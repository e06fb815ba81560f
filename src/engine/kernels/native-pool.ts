/** MaxPool and its gradient on the native add-on (NHWC float32, any window, stride and padding). */
import { backend_util, util, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { NativeAddon } from '../native-addon.js';
import { heapView, nonEmptyFloat32, offsetOf } from './native-heap.js';

interface PoolAttrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

export function nativeMaxPool(addon: NativeAddon, backend: BackendWasm, inputs: { x: TensorInfo }, attrs: PoolAttrs): TensorInfo | null {
  const { x } = inputs;
  if (!nonEmptyFloat32(x) || x.shape.length !== 4) return null;
  const info = backend_util.computePool2DInfo(x.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  if (util.sizeFromShape(info.outShape) === 0) return null;
  const out = backend.makeOutput(info.outShape, 'float32');
  const rc = addon.maxPool(
    heapView(backend), offsetOf(backend, x), offsetOf(backend, out),
    info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth,
    info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left,
  );
  if (rc === 0) return out;
  backend.disposeData(out.dataId);
  return null;
}

/** MaxPoolGrad on the native add-on (the samples in parallel). */
export function nativeMaxPoolGrad(addon: NativeAddon, backend: BackendWasm, inputs: { dy: TensorInfo; input: TensorInfo }, attrs: PoolAttrs): TensorInfo | null {
  const { dy, input: x } = inputs;
  if (!nonEmptyFloat32(x, dy) || x.shape.length !== 4) return null;
  const info = backend_util.computePool2DInfo(x.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  if (dy.shape.join() !== info.outShape.join()) return null;
  const dx = backend.makeOutput(x.shape, 'float32');
  const rc = addon.maxPoolGrad(
    heapView(backend), offsetOf(backend, x), offsetOf(backend, dy), offsetOf(backend, dx),
    info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth,
    info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left,
  );
  if (rc === 0) return dx;
  backend.disposeData(dx.dataId);
  return null;
}
