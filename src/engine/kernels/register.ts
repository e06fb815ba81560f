/**
 * Installs the privmed kernels into the wasm backend's kernel registry.
 * Safe to call more than once, and before or after the backend is initialised:
 * the built-ins being replaced are remembered first so the replacements can
 * still delegate to them, and their setup (binding to the wasm module) is kept.
 */
import { getKernel, registerKernel, unregisterKernel, type KernelConfig } from '@tensorflow/tfjs-core';
import { batchMatMulConfig } from './batch-mat-mul.js';
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter.js';
import { conv2DBackpropInputConfig } from './conv2d-backprop-input.js';
import { identityConfig } from './identity.js';
import { meanConfig, sumConfig } from './leading-axes-reduction.js';
import { maxPoolGradConfig } from './max-pool-grad.js';
import { registerReluGradient, RELU_GRAD, reluGradConfig } from './relu-grad.js';
import { tileConfig } from './tile.js';
import { sliceConfig } from './slice.js';
import { fillConfig, onesLikeConfig, zerosLikeConfig } from './fill.js';
import { PER_SAMPLE_FILTER_GRAD, perSampleFilterGradConfig } from './per-sample-filter-grad.js';
import { builtinKernel, rememberBuiltin } from './builtin-kernels.js';
import { withNative } from './native-kernels.js';
import {
  FUSED_NORM, FUSED_NORM_GRAD, fusedNormConfig, fusedNormGradConfig, NORM_PARAM_GRADS, normParamGradsConfig, registerFusedNormGradient,
} from './fused-norm.js';
import { nativeKernels } from '../native-addon.js';
import { adamConfig, FUSED_ADAM } from './adam.js';

/** Kernels privmed adds to (see ADDED_KERNELS) or replaces in tfjs-backend-wasm. */
export const PRIVMED_WASM_KERNELS = [
  'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'BatchMatMul', 'MaxPoolGrad', 'Sum', 'Mean', 'Tile', 'Identity', 'PrivmedReluGrad', FUSED_NORM, FUSED_NORM_GRAD, FUSED_ADAM, 'Slice',
  'Fill', 'ZerosLike', 'OnesLike', PER_SAMPLE_FILTER_GRAD, NORM_PARAM_GRADS,
] as const;

/** Kernels the wasm backend lacks (nothing to remember); the others replace built-ins. */
const ADDED_KERNELS = new Set<string>(['Conv2DBackpropFilter', RELU_GRAD, FUSED_NORM, FUSED_NORM_GRAD, FUSED_ADAM, PER_SAMPLE_FILTER_GRAD, NORM_PARAM_GRADS]);

/** Built-in kernels the privmed kernels call. */
const USED_BUILTINS = ['Conv2D', 'Transpose', 'Slice', 'BatchMatMul'];

/** Built-ins privmed does not replace in wasm, but puts the native add-on in front of. */
const NATIVE_FRONTED_BUILTINS = ['Conv2D', 'FusedConv2D', '_FusedMatMul', 'Add', 'Sub', 'Multiply', 'RealDiv', 'MaxPool', 'FusedBatchNorm', 'Relu'];

const makers: Record<(typeof PRIVMED_WASM_KERNELS)[number], () => KernelConfig> = {
  Conv2DBackpropFilter: () => conv2DBackpropFilterConfig,
  Conv2DBackpropInput: conv2DBackpropInputConfig,
  BatchMatMul: batchMatMulConfig,
  MaxPoolGrad: maxPoolGradConfig,
  Sum: sumConfig,
  Mean: meanConfig,
  Tile: tileConfig,
  Identity: () => identityConfig,
  PrivmedReluGrad: () => reluGradConfig,
  [FUSED_NORM]: () => fusedNormConfig(nativeKernels),
  [FUSED_NORM_GRAD]: () => fusedNormGradConfig(nativeKernels),
  [FUSED_ADAM]: () => adamConfig,
  Slice: () => sliceConfig,
  Fill: () => fillConfig,
  ZerosLike: () => zerosLikeConfig,
  OnesLike: () => onesLikeConfig,
  [PER_SAMPLE_FILTER_GRAD]: () => perSampleFilterGradConfig,
  [NORM_PARAM_GRADS]: () => normParamGradsConfig(nativeKernels),
};

let installed: KernelConfig[] | null = null;

export function registerPrivmedWasmKernels(): readonly KernelConfig[] {
  registerReluGradient();
  registerFusedNormGradient();
  if (installed !== null && installed.every((c) => getKernel(c.kernelName, 'wasm') === c)) return installed;
  const replaced = PRIVMED_WASM_KERNELS.filter((name) => !ADDED_KERNELS.has(name));
  for (const name of [...USED_BUILTINS, ...NATIVE_FRONTED_BUILTINS, ...replaced]) {
    if (rememberBuiltin(name) === undefined) throw new Error(`tfjs-backend-wasm is not loaded: kernel '${name}' is missing`);
  }
  const configs = installed ?? [
    ...PRIVMED_WASM_KERNELS.map((name) => withNative(makers[name]())),
    ...NATIVE_FRONTED_BUILTINS.map((name) => withNative(builtinKernel(name))),
  ];
  for (const config of configs) {
    if (getKernel(config.kernelName, 'wasm') !== undefined) unregisterKernel(config.kernelName, 'wasm');
    registerKernel(config);
  }
  installed = configs;
  return configs;
}
