/**
 * BatchMatMul with transposeA or transposeB for the wasm backend. The built-in
 * kernel only reaches XNNPACK for an untransposed, unbatched product and falls
 * back to a scalar loop otherwise; dense-layer gradients (x^T dy, dy W^T) hit
 * that loop. Transposing the operand explicitly is O(size) and lets the
 * product run on XNNPACK. Batched products keep the built-in path.
 */
import { BatchMatMul, broadcast_util, util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { builtinKernel, withScope, type WasmScope } from './wasm_scope.js';

interface Args {
  inputs: { a: TensorInfo; b: TensorInfo };
  backend: BackendWasm;
  attrs: { transposeA: boolean; transposeB: boolean };
}

export function batchMatMul(args: Args): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { a, b } = inputs;
  const original = builtinKernel(BatchMatMul);
  const batchA = util.sizeFromShape(a.shape.slice(0, -2));
  const batchB = util.sizeFromShape(b.shape.slice(0, -2));
  const fastAlready = !attrs.transposeA && !attrs.transposeB;
  if (fastAlready || batchA !== 1 || batchB !== 1 || a.dtype !== 'float32' || b.dtype !== 'float32') {
    return original.kernelFunc(args as never) as TensorInfo;
  }
  const outer = broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  return withScope(backend, (scope) => {
    const a2 = attrs.transposeA ? transposed2d(scope, a) : scope.view(a, [1, ...a.shape.slice(-2)]);
    const b2 = attrs.transposeB ? transposed2d(scope, b) : scope.view(b, [1, ...b.shape.slice(-2)]);
    if (a2.shape[2] !== b2.shape[1]) {
      throw new Error(`BatchMatMul: inner dimensions ${a2.shape[2]} and ${b2.shape[1]} of [${a.shape}] and [${b.shape}] differ`);
    }
    const out = original.kernelFunc({ inputs: { a: a2, b: b2 }, backend, attrs: { transposeA: false, transposeB: false } }) as TensorInfo;
    return { ...out, shape: [...outer, a2.shape[1], b2.shape[2]] };
  });
}

/** [..., r, c] with unit batch -> [1, c, r]. */
function transposed2d(scope: WasmScope, t: TensorInfo): TensorInfo {
  const [r, c] = t.shape.slice(-2);
  const out = scope.run('Transpose', { x: scope.view(t, [r, c]) }, { perm: [1, 0] });
  return scope.view(out, [1, c, r]);
}

export function batchMatMulConfig(): KernelConfig {
  const original = builtinKernel(BatchMatMul);
  return {
    kernelName: BatchMatMul,
    backendName: 'wasm',
    setupFunc: original.setupFunc,
    kernelFunc: batchMatMul as unknown as KernelFunc,
  };
}
