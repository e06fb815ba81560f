/**
 * Installs the privmed kernels into the wasm backend's kernel registry.
 * Safe to call more than once, and before or after the backend is initialised:
 * the replaced built-ins are remembered first so the replacements can still
 * delegate to them, and their setup (binding to the wasm module) is kept.
 */
import { getKernel, registerKernel, unregisterKernel, type KernelConfig } from '@tensorflow/tfjs-core';
import { batchMatMulConfig } from './batch_mat_mul.js';
import { conv2DBackpropFilterConfig } from './conv2d_backprop_filter.js';
import { conv2DBackpropInputConfig } from './conv2d_backprop_input.js';
import { rememberBuiltin } from './wasm_scope.js';

/** Kernels privmed adds to or replaces in tfjs-backend-wasm, in registration order. */
export const PRIVMED_WASM_KERNELS = ['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'BatchMatMul'] as const;

let installed: KernelConfig[] | null = null;

export function registerPrivmedWasmKernels(): readonly KernelConfig[] {
  if (installed !== null && installed.every((c) => getKernel(c.kernelName, 'wasm') === c)) return installed;
  // Captured before anything is replaced; the wasm package must be loaded by now.
  for (const name of ['Conv2D', 'Transpose', 'Slice', 'Conv2DBackpropInput', 'BatchMatMul']) {
    if (rememberBuiltin(name) === undefined) {
      throw new Error(`tfjs-backend-wasm is not loaded: kernel '${name}' is missing`);
    }
  }
  const configs = installed ?? [conv2DBackpropFilterConfig, conv2DBackpropInputConfig(), batchMatMulConfig()];
  for (const config of configs) {
    if (getKernel(config.kernelName, 'wasm') !== undefined) unregisterKernel(config.kernelName, 'wasm');
    registerKernel(config);
  }
  installed = configs;
  return configs;
}
