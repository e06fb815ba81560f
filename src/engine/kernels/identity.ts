/**
 * Identity for the wasm backend without a copy. The built-in copies the whole
 * tensor; gradients pass through Identity at every residual Add and
 * variableGrads clone, costing ~2% of a ResNet-18 step. Tensors on the wasm
 * heap are never written in place, so sharing the data (as Reshape and
 * tfjs-backend-cpu's Identity do) is safe; the reference count frees it once.
 */
import { Identity, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { builtinKernel } from './builtin-kernels.js';

interface Args {
  inputs: { x: TensorInfo };
  backend: BackendWasm;
}

export function identity(args: Args): TensorInfo {
  const { inputs: { x }, backend } = args;
  if (x.dtype === 'string') return builtinKernel(Identity).kernelFunc(args as never) as TensorInfo;
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

export const identityConfig: KernelConfig = {
  kernelName: Identity,
  backendName: 'wasm',
  kernelFunc: identity as unknown as KernelFunc,
};
