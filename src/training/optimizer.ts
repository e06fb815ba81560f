/** Adam / SGD(momentum) with coupled weight decay on kernels, as PyTorch's weight_decay. */
import * as tf from '@tensorflow/tfjs-core';
import { fusedAdam } from '../engine/fused-adam.js';

export interface OptimizerConfig {
  name: 'adam' | 'sgd';
  lr: number;
  momentum: number;
  weightDecay: number;
}

export function makeOptimizer(cfg: OptimizerConfig): tf.Optimizer {
  // fusedAdam is tf.train.adam with one kernel per variable on wasm.
  return cfg.name === 'adam' ? fusedAdam(cfg.lr) : tf.train.momentum(cfg.lr, cfg.momentum);
}

export function setLearningRate(opt: tf.Optimizer, lr: number): void {
  const o = opt as tf.Optimizer & { setLearningRate?: (lr: number) => void; learningRate?: number };
  if (typeof o.setLearningRate === 'function') o.setLearningRate(lr);
  else o.learningRate = lr;
}

/** Only conv/dense kernels decay; biases and norm scales do not (standard practice). */
export function decays(variableName: string): boolean {
  return /kernel/.test(variableName);
}

/**
 * One optimizer step: grads += weightDecay * w for the decaying variables,
 * then apply. Takes ownership of `grads` (disposes them).
 */
export function applyUpdate(opt: tf.Optimizer, grads: tf.NamedTensorMap, vars: tf.Variable[], weightDecay: number): void {
  if (weightDecay === 0) {
    opt.applyGradients(grads);
    tf.dispose(grads);
    return;
  }
  const decayed: tf.NamedTensorMap = {};
  for (const v of vars) {
    const g = grads[v.name];
    if (g) decayed[v.name] = decays(v.name) ? tf.tidy(() => tf.add(g, tf.mul(v, weightDecay))) : g;
  }
  opt.applyGradients(decayed);
  tf.dispose([...Object.values(decayed), ...Object.values(grads)]);
}
