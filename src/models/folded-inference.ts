/**
 * Inference with BatchNorm folded into the convolution before it. At
 * inference a BatchNorm is a per-channel affine map with its moving
 * statistics, y = (z - mean) * s + beta with s = gamma / sqrt(var + eps), so
 * conv(x, W) followed by it is conv(x, W * s) + (b - mean) * s + beta: one
 * fused convolution (bias and a following ReLU in its epilogue) instead of
 * a convolution and two more passes over the activations (ResNet-18 b8 at
 * 224 px: 40 such passes over up to 26 MB each). The folded weights are made
 * once per session (`foldedInference`), for the weights as they are then.
 *
 * Only a chain the model's own graph shows is folded: a Conv2D (no activation
 * of its own) whose output only a channels-last BatchNormalization reads, and
 * a ReLU that alone reads that; a model with nested models, shared layers or
 * several inputs or outputs runs unchanged (model.apply). Results equal the
 * unfolded model's to float32 rounding (the products are regrouped).
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

type Config = Record<string, unknown>;

/** What runs inference: a model (apply with training false), or a folded session of one. */
export interface Inference {
  apply(x: tf.Tensor, kwargs?: { training?: boolean }): tf.Tensor | tf.Tensor[] | tfl.SymbolicTensor | tfl.SymbolicTensor[];
}

export interface FoldedInference extends Inference {
  apply(x: tf.Tensor): tf.Tensor;
  /** Convolutions with a BatchNorm folded in (0: the model runs unchanged). */
  readonly folded: number;
  /** Frees the folded weights. */
  dispose(): void;
}

interface Step {
  layer: tfl.layers.Layer;
  inputIds: number[];
  outputId: number;
  /** A conv with the BatchNorm (and ReLU) after it folded in: weights, bias, activation, and the id its chain ends in. */
  fold?: { filter: tf.Tensor4D; bias: tf.Tensor1D; relu: boolean; endId: number };
  /** A layer a fold has absorbed. */
  skip?: boolean;
}

function weight(layer: tfl.layers.Layer, name: string): tf.Tensor | null {
  const w = layer.weights.find((v) => v.originalName.split('/').pop() === name);
  return w ? w.read() : null;
}

function isPlainRelu(layer: tfl.layers.Layer): boolean {
  const c = layer.getConfig() as Config;
  if (layer.getClassName() === 'ReLU') return c.maxValue === undefined || c.maxValue === null;
  return layer.getClassName() === 'Activation' && c.activation === 'relu';
}

function lastAxisBatchNorm(layer: tfl.layers.Layer, rank: number): boolean {
  if (layer.getClassName() !== 'BatchNormalization') return false;
  const axis = Number((layer.getConfig() as Config).axis ?? -1);
  return axis === -1 || axis === rank - 1;
}

function foldableConv(layer: tfl.layers.Layer): boolean {
  if (layer.getClassName() !== 'Conv2D') return false;
  const c = layer.getConfig() as Config;
  return (c.dataFormat ?? 'channelsLast') === 'channelsLast' && (c.activation ?? 'linear') === 'linear' && (c.padding === 'same' || c.padding === 'valid');
}

/** The BatchNorm's scale s and shift as [s, shift]: y = z * s + shift. */
function affineOf(bn: tfl.layers.Layer): [tf.Tensor1D, tf.Tensor1D] {
  const c = bn.getConfig() as Config;
  const mean = weight(bn, 'moving_mean')!, variance = weight(bn, 'moving_variance')!;
  const gamma = c.scale === false ? null : weight(bn, 'gamma'), beta = c.center === false ? null : weight(bn, 'beta');
  const s = tf.div(gamma ?? tf.onesLike(mean), tf.sqrt(tf.add(variance, Number(c.epsilon ?? 1e-3)))) as tf.Tensor1D;
  const shift = tf.sub(beta ?? tf.zerosLike(mean), tf.mul(mean, s)) as tf.Tensor1D;
  return [s, shift];
}

function plan(model: tfl.LayersModel): Step[] | null {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) return null;
  const steps: Step[] = [];
  const readers = new Map<number, number>();
  for (const layer of model.layers) {
    if (layer.getClassName() === 'InputLayer') continue;
    if (Array.isArray((layer as Partial<tfl.LayersModel>).layers) || layer.inboundNodes.length !== 1) return null;
    const node = layer.inboundNodes[0]!;
    if (node.outputTensors.length !== 1) return null;
    const inputIds = node.inputTensors.map((t) => t.id);
    for (const id of inputIds) readers.set(id, (readers.get(id) ?? 0) + 1);
    steps.push({ layer, inputIds, outputId: node.outputTensors[0]!.id });
  }
  const outputId = model.outputs[0]!.id;
  const readerOf = (id: number): Step | undefined => (readers.get(id) === 1 && id !== outputId ? steps.find((s) => s.inputIds.includes(id)) : undefined);
  for (const conv of steps) {
    if (!foldableConv(conv.layer)) continue;
    const bn = readerOf(conv.outputId);
    if (bn === undefined || !lastAxisBatchNorm(bn.layer, 4)) continue;
    const relu = readerOf(bn.outputId);
    const withRelu = relu !== undefined && isPlainRelu(relu.layer);
    conv.fold = tf.tidy(() => {
      const [s, shift] = affineOf(bn.layer);
      const filter = tf.keep(tf.mul(weight(conv.layer, 'kernel')!, s) as tf.Tensor4D);
      const b = weight(conv.layer, 'bias');
      const bias = tf.keep((b ? tf.add(tf.mul(b, s), shift) : shift) as tf.Tensor1D);
      return { filter, bias, relu: withRelu, endId: withRelu ? relu!.outputId : bn.outputId };
    });
    bn.skip = true;
    if (withRelu) relu!.skip = true;
  }
  return steps;
}

/** A session that runs the model at inference with its BatchNorms folded, for its weights as they are now. */
export function foldedInference(model: tfl.LayersModel): FoldedInference {
  const steps = plan(model);
  const folds = steps?.flatMap((s) => (s.fold ? [s.fold] : [])) ?? [];
  const dispose = (): void => tf.dispose(folds.flatMap((f) => [f.filter, f.bias]));
  if (steps === null || folds.length === 0) {
    dispose();
    return { folded: 0, apply: (x) => model.apply(x, { training: false }) as tf.Tensor, dispose };
  }
  const apply = (x: tf.Tensor): tf.Tensor =>
    tf.tidy(() => {
      const values = new Map<number, tf.Tensor>([[model.inputs[0]!.id, x]]);
      for (const step of steps) {
        if (step.skip) continue;
        const inputs = step.inputIds.map((id) => values.get(id)!);
        if (step.fold) {
          const c = step.layer.getConfig() as Config;
          const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [Number(v[0]), Number(v[1] ?? v[0])] : [Number(v), Number(v)]);
          const y = tf.fused.conv2d({
            x: inputs[0] as tf.Tensor4D, filter: step.fold.filter, strides: pair(c.strides ?? 1), pad: c.padding as 'same' | 'valid',
            dataFormat: 'NHWC', dilations: pair(c.dilationRate ?? 1), bias: step.fold.bias, activation: step.fold.relu ? 'relu' : 'linear',
          });
          values.set(step.fold.endId, y);
          continue;
        }
        values.set(step.outputId, step.layer.apply(inputs.length === 1 ? inputs[0]! : inputs, { training: false }) as tf.Tensor);
      }
      return values.get(model.outputs[0]!.id)!;
    });
  return { folded: folds.length, apply, dispose };
}
