/**
 * tf.train.adam with each variable's step fused into one kernel (PrivmedAdam,
 * src/engine/kernels/adam.ts) where the backend has it; tfjs's own step
 * elsewhere. The moments live in the same variables, under the same names,
 * as tfjs's, so getWeights/setWeights (checkpoints) are unchanged.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FUSED_ADAM } from './kernels/adam.js';

/** tfjs's AdamOptimizer state this class drives (private in its typings). */
interface AdamState {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: ({ originalName: string; variable: tf.Variable } | undefined)[];
  accumulatedSecondMoment: ({ originalName: string; variable: tf.Variable } | undefined)[];
  incrementIterations(): void;
}

type VariableGradients = Parameters<tf.AdamOptimizer['applyGradients']>[0];

export class FusedAdamOptimizer extends tf.AdamOptimizer {
  override applyGradients(variableGradients: VariableGradients): void {
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    const gradOf = (name: string, i: number): tf.Tensor | undefined => (Array.isArray(variableGradients) ? variableGradients[i]!.tensor : variableGradients[name]);
    const registered = tf.engine().registeredVariables;
    const fusable = tf.getKernel(FUSED_ADAM, tf.getBackend()) !== undefined &&
      names.every((name, i) => registered[name]?.dtype === 'float32' && (gradOf(name, i) ?? { dtype: 'float32' }).dtype === 'float32');
    if (!fusable) return super.applyGradients(variableGradients);
    const s = this as unknown as AdamState;
    tf.tidy(() => {
      // As tfjs: 1 - beta^t in float32.
      const c1 = Math.fround(1 - s.accBeta1.dataSync()[0]!);
      const c2 = Math.fround(1 - s.accBeta2.dataSync()[0]!);
      const attrs = { beta1: s.beta1, beta2: s.beta2, learningRate: s.learningRate, epsilon: s.epsilon, c1, c2 };
      names.forEach((name, i) => {
        const value = registered[name]!;
        s.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        s.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        const g = gradOf(name, i);
        if (g == null) return;
        const m = s.accumulatedFirstMoment[i]!.variable;
        const v = s.accumulatedSecondMoment[i]!.variable;
        const [w2, m2, v2] = tf.engine().runKernel(FUSED_ADAM, { w: value, g, m, v }, attrs as never) as unknown as tf.Tensor[];
        m.assign(m2!);
        v.assign(v2!);
        value.assign(w2!);
      });
      s.accBeta1.assign(tf.mul(s.accBeta1, s.beta1));
      s.accBeta2.assign(tf.mul(s.accBeta2, s.beta2));
    });
    s.incrementIterations();
  }
}

/** Adam as tf.train.adam(learningRate) builds it, with the fused step. */
export function fusedAdam(learningRate: number): tf.Optimizer {
  return new FusedAdamOptimizer(learningRate, 0.9, 0.999);
}
