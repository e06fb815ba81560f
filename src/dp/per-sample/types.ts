/** The per-sample gradient interface its two implementations (loop, vectorised) and DP-SGD share. */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Batch } from '../../data/dataset.js';
import type { GradientSink } from '../sgd/clipping.js';
import type { DpVariable } from './variables.js';

export type PerSampleMethod = 'loop' | 'vectorised';
/** A batch's labels as the tensor the per-sample loss takes, first axis the samples (class indices, or segmentation masks). */
export type BatchLabels = (batch: Batch) => tf.Tensor;
export const classLabels: BatchLabels = (batch) => tf.tensor1d(batch.y, 'int32');
export type PerSampleChoice = PerSampleMethod | 'auto';

export interface PerSampleGradients {
  readonly method: PerSampleMethod;
  readonly model: tfl.LayersModel;
  /** The variables, in the order their gradients reach the sink. */
  readonly variables: readonly DpVariable[];
  /** Feeds every sample's gradient to `sink`; returns the sum of the per-sample losses. */
  accumulate(batch: Batch, sink: GradientSink): Promise<number>;
}
