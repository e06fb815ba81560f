/**
 * BatchMatMul with transposeA or transposeB for the wasm backend. The built-in
 * kernel only reaches XNNPACK for an untransposed, unbatched product and falls
 * back to a scalar loop otherwise; dense-layer gradients (x^T dy, dy W^T) hit
 * that loop. Here the operands are transposed explicitly (O(size)) so that the
 * product runs on XNNPACK, either as C = A'B' or as C = (B'' A'')^T, whichever
 * moves fewer floats (XNNPACK also repacks its right-hand operand each call).
 * Batched products keep the built-in path.
 */
import { BatchMatMul, broadcast_util, util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { builtinKernel } from './builtin-kernels.js';
import { withScope, type WasmScope } from './wasm-scope.js';

interface Args {
  inputs: { a: TensorInfo; b: TensorInfo };
  backend: BackendWasm;
  attrs: { transposeA: boolean; transposeB: boolean };
}

export function batchMatMul(args: Args): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { a, b } = inputs;
  const { transposeA, transposeB } = attrs;
  const original = builtinKernel(BatchMatMul);
  const unitBatch = util.sizeFromShape(a.shape.slice(0, -2)) === 1 && util.sizeFromShape(b.shape.slice(0, -2)) === 1;
  if ((!transposeA && !transposeB) || !unitBatch || a.dtype !== 'float32' || b.dtype !== 'float32') {
    return original.kernelFunc(args as never) as TensorInfo;
  }
  const outer = broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const [ar, ac] = a.shape.slice(-2) as [number, number];
  const [br, bc] = b.shape.slice(-2) as [number, number];
  const [m, k] = transposeA ? [ac, ar] : [ar, ac];
  const [k2, n] = transposeB ? [bc, br] : [br, bc];
  if (k !== k2) throw new Error(`BatchMatMul: inner dimensions ${k} and ${k2} of [${a.shape}] and [${b.shape}] differ`);

  // Floats copied: transposes plus XNNPACK's packing of the right-hand operand.
  const direct = (transposeA ? m * k : 0) + (transposeB ? k * n : 0) + k * n;
  const swapped = (transposeB ? 0 : k * n) + (transposeA ? 0 : m * k) + m * k + m * n;
  const matmul = (scope: WasmScope, left: TensorInfo, right: TensorInfo): TensorInfo => {
    const out = original.kernelFunc({ inputs: { a: left, b: right }, backend, attrs: { transposeA: false, transposeB: false } });
    return scope.own(out as TensorInfo);
  };
  return withScope(backend, (scope) => {
    if (direct <= swapped) {
      const left = transposeA ? transposed(scope, a, ar, ac) : scope.view(a, [1, m, k]);
      const right = transposeB ? transposed(scope, b, br, bc) : scope.view(b, [1, k, n]);
      return scope.keep(matmul(scope, left, right), [...outer, m, n]);
    }
    // C^T = B'' A'' with B'' = op(B)^T ([n, k]) and A'' = op(A)^T ([k, m]).
    const left = transposeB ? scope.view(b, [1, n, k]) : transposed(scope, b, br, bc);
    const right = transposeA ? scope.view(a, [1, k, m]) : transposed(scope, a, ar, ac);
    const cT = matmul(scope, left, right);
    return scope.keep(transposed(scope, cT, n, m), [...outer, m, n]);
  });
}

/** The 2-D matrix [rows, cols] held by `t`, transposed: [1, cols, rows]. */
function transposed(scope: WasmScope, t: TensorInfo, rows: number, cols: number): TensorInfo {
  const out = scope.run('Transpose', { x: scope.view(t, [rows, cols]) }, { perm: [1, 0] });
  return scope.view(out, [1, cols, rows]);
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
