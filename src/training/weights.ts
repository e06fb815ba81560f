/** Moving a model's weights in and out as plain Float32Arrays (the federation's currency). */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { PrivmedError } from '../common/errors.js';
import { loadModel } from '../models/io.js';

/** A weight tensor by its layer-independent name: what a federation sends. */
export interface NamedWeights {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** The names and shapes of a model's weights, without reading their values. */
export function weightSpecs(model: tfl.LayersModel): { name: string; shape: number[] }[] {
  return model.weights.map((w) => ({ name: w.originalName ?? w.name, shape: [...w.shape] as number[] }));
}

export function readWeights(model: tfl.LayersModel): NamedWeights[] {
  const specs = weightSpecs(model);
  return model.weights.map((w, i) => ({ ...specs[i]!, data: w.read().dataSync() as Float32Array }));
}

export function writeWeights(model: tfl.LayersModel, values: Float32Array[]): void {
  const ws = model.weights;
  if (values.length !== ws.length) throw new PrivmedError(`expected ${ws.length} weight tensors, got ${values.length}`);
  const tensors = ws.map((w, i) => {
    const size = (w.shape as number[]).reduce((a, b) => a * b, 1);
    if (values[i]!.length !== size) throw new PrivmedError(`weight '${w.name}' needs ${size} values, got ${values[i]!.length}`);
    return tf.tensor(values[i]!, w.shape as number[]);
  });
  model.setWeights(tensors);
  tf.dispose(tensors);
}

/** The weights of a saved model folder, as a federation sends them (same names as readWeights). */
export async function readModelWeights(dir: string): Promise<NamedWeights[]> {
  const { model } = await loadModel(dir);
  try {
    return readWeights(model);
  } finally {
    model.dispose();
  }
}
