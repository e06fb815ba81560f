/**
 * The wasm backend's own kernels, captured before privmed replaces any of
 * them, so a replacement can still hand the cases it does not improve to the
 * original, and compose its work from the originals.
 */
import { getKernel, type KernelConfig } from '@tensorflow/tfjs-core';

// Shared through globalThis: if two copies of privmed are loaded (say src and
// dist), the second must still find the true originals, not the first's
// replacements, or a replacement would end up delegating to itself.
const KEY = Symbol.for('privmed.wasm.builtinKernels');
const store = globalThis as { [KEY]?: Map<string, KernelConfig> };
const builtins = (store[KEY] ??= new Map<string, KernelConfig>());

export function rememberBuiltin(kernelName: string): KernelConfig | undefined {
  const config = builtins.get(kernelName) ?? getKernel(kernelName, 'wasm');
  if (config !== undefined && !builtins.has(kernelName)) builtins.set(kernelName, config);
  return config;
}

export function builtinKernel(kernelName: string): KernelConfig {
  const config = builtins.get(kernelName) ?? getKernel(kernelName, 'wasm');
  if (config === undefined) throw new Error(`wasm backend has no '${kernelName}' kernel`);
  return config;
}
