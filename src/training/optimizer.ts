/** Adam / SGD(momentum) with coupled weight decay on kernels, as PyTorch's weight_decay. */
import * as tf from '@tensorflow/tfjs-core';

export interface OptimizerConfig {
  name: 'adam' | 'sgd';
  lr: number;
  momentum: number;
  weightDecay: number;
}

export function makeOptimizer(cfg: OptimizerConfig): tf.Optimizer {
  return cfg.name === 'adam' ? tf.train.adam(cfg.lr) : tf.train.momentum(cfg.lr, cfg.momentum);
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

/** grads += weightDecay * w for the decaying variables; returns a new map (caller disposes). */
export function addWeightDecay(grads: tf.NamedTensorMap, vars: tf.Variable[], weightDecay: number): tf.NamedTensorMap {
  if (weightDecay === 0) return grads;
  const out: tf.NamedTensorMap = {};
  for (const v of vars) {
    const g = grads[v.name];
    if (!g) continue;
    out[v.name] = decays(v.name) ? tf.tidy(() => tf.add(g, tf.mul(v, weightDecay))) : tf.clone(g);
  }
  return out;
}
