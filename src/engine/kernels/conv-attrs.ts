/**
 * Reads and checks the attributes of the conv backward kernels. Anything the
 * privmed kernels do not implement is refused with a clear error rather than
 * computed wrongly.
 */
import { backend_util, type TensorInfo } from '@tensorflow/tfjs-core';
import { PrivmedError } from '../../common/errors.js';

export interface BackpropConvAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dilations?: [number, number] | number;
}

export function backpropConvInfo(
  kernelName: string,
  tensors: TensorInfo[],
  xShape: number[],
  filterShape: number[],
  attrs: BackpropConvAttrs,
): backend_util.Conv2DInfo {
  const hint = 'use NHWC float32 tensors and dilation 1, or the cpu backend';
  if ((attrs.dataFormat ?? 'NHWC') !== 'NHWC') {
    throw new PrivmedError(`${kernelName} (wasm, privmed): dataFormat '${attrs.dataFormat}' is not supported, only 'NHWC'`, { hint });
  }
  const dilations = attrs.dilations ?? 1;
  const [dh, dw] = typeof dilations === 'number' ? [dilations, dilations] : dilations;
  if (dh !== 1 || dw !== 1) {
    throw new PrivmedError(`${kernelName} (wasm, privmed): dilations [${dh}, ${dw}] are not supported, only 1`, { hint });
  }
  for (const t of tensors) {
    if (t.dtype !== 'float32') {
      throw new PrivmedError(`${kernelName} (wasm, privmed): dtype '${t.dtype}' is not supported, only float32`, { hint });
    }
  }
  if (xShape.length !== 4 || filterShape.length !== 4) {
    throw new PrivmedError(`${kernelName} (wasm, privmed): expected rank-4 input and filter, got [${xShape}] and [${filterShape}]`);
  }
  return backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
}
