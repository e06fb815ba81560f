/** The trainable variables of a model, in order, with the layer each belongs to. */
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

export interface DpVariable {
  /** The tf.Variable's name: the key of the gradient map the optimizer applies. */
  readonly name: string;
  /** Name of the layer that owns it (the per-layer clipping group). */
  readonly layer: string;
  readonly shape: readonly number[];
  readonly size: number;
  readonly variable: tf.Variable;
}

/** Every trainable variable, layer by layer (nested models included), as model.trainableWeights orders them. */
export function trainableVariables(model: tfl.LayersModel): DpVariable[] {
  const out: DpVariable[] = [];
  const visit = (layer: tfl.layers.Layer): void => {
    const nested = (layer as Partial<tfl.LayersModel>).layers;
    if (Array.isArray(nested)) {
      for (const inner of nested) visit(inner);
      return;
    }
    for (const w of layer.trainableWeights) {
      const variable = w.read() as tf.Variable;
      const shape = [...variable.shape];
      out.push({ name: variable.name, layer: layer.name, shape, size: shape.reduce((a, b) => a * b, 1), variable });
    }
  };
  for (const layer of model.layers) visit(layer);
  const expected = model.trainableWeights.map((w) => (w.read() as tf.Variable).name);
  const found = out.map((v) => v.name);
  if (expected.length !== found.length || expected.some((n) => !found.includes(n))) {
    throw new Error(`trainableVariables: found [${found.join(', ')}] but the model trains [${expected.join(', ')}]`);
  }
  return out;
}
