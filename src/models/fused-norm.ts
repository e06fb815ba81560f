/**
 * The fused normalisation kernel src/engine registers for the wasm backend
 * (src/engine/kernels/fused-norm.ts: statistics, normalise, scale and shift
 * in one kernel, its gradient in another). Layers use it when the active
 * backend has it, and tfjs's composed ops otherwise (cpu, tensorflow).
 */
import * as tf from '@tensorflow/tfjs-core';

/** Kernel name; src/engine (same floor, so not importable) defines the kernel. */
const FUSED_NORM = 'PrivmedNorm';

/**
 * [y, mean, variance] of x normalised per sample and group of channels
 * (groups > 0, NHWC) or per channel over the batch (groups = 0, BatchNorm),
 * then scaled by gamma and shifted by beta; null when the backend has no
 * fused kernel. Only y carries a gradient.
 */
export function fusedNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, groups: number, epsilon: number): [tf.Tensor, tf.Tensor, tf.Tensor] | null {
  if (tf.getKernel(FUSED_NORM, tf.getBackend()) === undefined) return null;
  if (x.dtype !== 'float32' || gamma.dtype !== 'float32' || beta.dtype !== 'float32' || x.size === 0) return null;
  return tf.engine().runKernel(FUSED_NORM, { x, gamma, beta }, { groups, epsilon }) as unknown as [tf.Tensor, tf.Tensor, tf.Tensor];
}
