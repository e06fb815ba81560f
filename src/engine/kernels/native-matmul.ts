/**
 * BatchMatMul and _FusedMatMul (bias, ReLU/ReLU6) on the native add-on, any
 * transposition. Batched products run one product per batch entry; an operand
 * with batch 1 is broadcast. Other broadcasts return null (the wasm kernel runs).
 */
import { util, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { NativeAddon } from '../native-addon.js';
import { activationCode, heapView, nonEmptyFloat32, offsetOf } from './native-heap.js';

interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
  activation?: string;
}

export function nativeMatMul(
  addon: NativeAddon, backend: BackendWasm,
  inputs: { a: TensorInfo; b: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo },
  attrs: MatMulAttrs,
): TensorInfo | null {
  const { a, b, bias, preluActivationWeights } = inputs;
  const act = activationCode(attrs.activation);
  if (act === null || preluActivationWeights !== undefined || !nonEmptyFloat32(a, b) || a.shape.length < 2 || b.shape.length < 2) return null;
  const outerA = a.shape.slice(0, -2), outerB = b.shape.slice(0, -2);
  const batchA = util.sizeFromShape(outerA), batchB = util.sizeFromShape(outerB);
  let outer: number[];
  if (outerA.join() === outerB.join() || batchB === 1) outer = outerA;
  else if (batchA === 1) outer = outerB;
  else return null;
  const [ar, ac] = a.shape.slice(-2) as [number, number];
  const [br, bc] = b.shape.slice(-2) as [number, number];
  const [m, k] = attrs.transposeA ? [ac, ar] : [ar, ac];
  const [k2, n] = attrs.transposeB ? [bc, br] : [br, bc];
  if (k !== k2 || m * n === 0) return null;
  if (bias !== undefined && (bias.dtype !== 'float32' || util.sizeFromShape(bias.shape) !== n || bias.shape.at(-1) !== n)) return null;
  const out = backend.makeOutput([...outer, m, n], 'float32');
  const heap = heapView(backend);
  const [oa, ob, oc] = [offsetOf(backend, a), offsetOf(backend, b), offsetOf(backend, out)];
  const obias = bias ? offsetOf(backend, bias) : -1;
  const batch = Math.max(batchA, batchB);
  for (let i = 0; i < batch; i++) {
    const rc = addon.matMul(
      heap, oa + (batchA === 1 ? 0 : i * m * k * 4), ob + (batchB === 1 ? 0 : i * k * n * 4), obias, oc + i * m * n * 4,
      m, k, n, attrs.transposeA ? 1 : 0, attrs.transposeB ? 1 : 0, act,
    );
    if (rc !== 0) {
      backend.disposeData(out.dataId);
      return null;
    }
  }
  return out;
}
