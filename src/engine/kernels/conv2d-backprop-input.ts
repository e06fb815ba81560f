/**
 * A fast Conv2DBackpropInput for the wasm backend. The built-in one is a
 * scalar loop (about 25x slower than the forward conv); this one expresses the
 * transposed convolution as forward convolutions on XNNPACK:
 *   stride 1: dx = conv(dy, W flipped in space, in/out channels swapped);
 *   stride s: one such conv per polyphase component (see polyphase.ts), whose
 *             outputs are interleaved into dx.
 * Those convs have ci output channels; for the first layer (1..4 channels)
 * that wastes most of XNNPACK's tiles, so there a GEMM + col2im is used.
 */
import { Conv2DBackpropInput, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { backpropConvInfo, type BackpropConvAttrs } from './conv-attrs.js';
import { inputGradByCol2im } from './input-grad-col2im.js';
import { inputGradByPolyphase } from './input-grad-polyphase.js';
import { builtinKernel } from './builtin-kernels.js';
import { withScope } from './wasm-scope.js';
import { PrivmedError } from '../../common/errors.js';

interface Args {
  inputs: { dy: TensorInfo; filter: TensorInfo };
  backend: BackendWasm;
  attrs: BackpropConvAttrs & { inputShape: [number, number, number, number] };
}

/** Up to this many input channels, dx goes through a GEMM and col2im (see input-grad-col2im.ts). */
const MAX_COL2IM_CHANNELS = 4;

export type InputGradMethod = 'auto' | 'polyphase' | 'col2im';

let forced: InputGradMethod = 'auto';

/** Tests and benchmarks pin one formulation to exercise it. */
export function forceInputGradMethod(m: InputGradMethod): void {
  forced = m;
}

export function conv2DBackpropInput({ inputs, backend, attrs }: Args): TensorInfo {
  const { dy, filter } = inputs;
  const info = backpropConvInfo(Conv2DBackpropInput, [dy, filter], attrs.inputShape, filter.shape, attrs);
  if (dy.shape.join() !== info.outShape.join()) {
    throw new PrivmedError(`Conv2DBackpropInput (wasm, privmed): dy has shape [${dy.shape}], expected [${info.outShape}]`);
  }
  const method = forced !== 'auto' ? forced : info.inChannels <= MAX_COL2IM_CHANNELS ? 'col2im' : 'polyphase';
  return withScope(backend, (scope) =>
    scope.keep(method === 'col2im' ? inputGradByCol2im(scope, dy, filter, info) : inputGradByPolyphase(scope, dy, filter, info)),
  );
}

export function conv2DBackpropInputConfig(): KernelConfig {
  const original = builtinKernel(Conv2DBackpropInput);
  return {
    kernelName: Conv2DBackpropInput,
    backendName: 'wasm',
    setupFunc: original.setupFunc,
    kernelFunc: conv2DBackpropInput as unknown as KernelFunc,
  };
}
