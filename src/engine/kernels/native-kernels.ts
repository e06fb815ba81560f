/**
 * Puts the native add-on in front of wasm kernels: the registered kernel runs
 * the native version while the native engine is active and the case is one it
 * takes, and the wasm kernel (privmed's or tfjs's, as before) otherwise.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { nativeKernels, type NativeAddon } from '../native-addon.js';
import { nativeConv2D, nativeConv2DBackpropFilter, nativeConv2DBackpropInput, nativePerSampleFilterGrad } from './native-conv.js';
import { nativeBinary, nativeRelu } from './native-elementwise.js';
import { nativeMatMul } from './native-matmul.js';
import { nativeMaxPool, nativeMaxPoolGrad } from './native-pool.js';
import { nativeBatchNorm } from './native-batch-norm.js';

type NativeImpl = (addon: NativeAddon, backend: BackendWasm, inputs: never, attrs: never) => TensorInfo | null;

const IMPLS: Record<string, NativeImpl> = {
  Conv2D: nativeConv2D,
  FusedConv2D: nativeConv2D,
  Conv2DBackpropFilter: nativeConv2DBackpropFilter,
  Conv2DBackpropInput: nativeConv2DBackpropInput,
  PrivmedPerSampleFilterGrad: nativePerSampleFilterGrad,
  BatchMatMul: nativeMatMul,
  _FusedMatMul: nativeMatMul,
  Add: nativeBinary('Add'),
  Sub: nativeBinary('Sub'),
  Multiply: nativeBinary('Multiply'),
  RealDiv: nativeBinary('RealDiv'),
  MaxPool: nativeMaxPool,
  MaxPoolGrad: nativeMaxPoolGrad,
  FusedBatchNorm: nativeBatchNorm,
  Relu: nativeRelu,
};

/** Kernels with a native version, in the order the engine line lists them. */
// The others call the add-on themselves (fused-norm.ts, relu-grad.ts, adam.ts, fill.ts).
export const NATIVE_KERNELS = [...Object.keys(IMPLS), 'PrivmedNorm', 'PrivmedNormGrad', 'PrivmedNormParamGrads', 'PrivmedReluGrad', 'PrivmedAdam', 'Fill', 'ZerosLike', 'OnesLike'];

let nativeRuns = 0;

/** How many kernel calls the add-on has served in this process (tests check it ran). */
export function nativeRunCount(): number {
  return nativeRuns;
}

/** Kernels that call the add-on themselves (not through withNative) count their runs here. */
export function noteNativeRun(): void {
  nativeRuns++;
}

/** `config` with its kernel tried natively first; kernels without a native version come back unchanged. */
export function withNative(config: KernelConfig): KernelConfig {
  const impl = IMPLS[config.kernelName];
  if (impl === undefined) return config;
  const wasm = config.kernelFunc;
  const kernelFunc = ((args: { inputs: never; backend: BackendWasm; attrs: never }) => {
    const addon = nativeKernels();
    const out = addon === null ? null : impl(addon, args.backend, args.inputs, args.attrs);
    if (out === null) return wasm(args as never);
    nativeRuns++;
    return out;
  }) as unknown as KernelFunc;
  return { ...config, kernelFunc };
}
