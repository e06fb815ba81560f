/**
 * Per-sample weight gradients of the layers the vectorised strategy covers.
 *
 * Each rule re-implements its layer's forward pass so that the gradient of
 * the loss with respect to the layer's pre-activation output z (the
 * "backprop" delta) can be taken: z passes through the caller's tap, an
 * identity that records the gradient reaching it. A sample's weight gradient is
 * then a function of that sample's layer input and delta alone:
 *   dense   dW_b = a_b^T delta_b (kept factored)   db_b = delta_b
 *   conv2d  dW_b = the filter gradient of sample b alone (one batched matmul per kernel tap when dilated)
 *   norms   dgamma_b = sum over positions of delta_b * xhat_b, dbeta_b = sum delta_b
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { PrivmedError } from '../../common/errors.js';
import { fusedNorm } from '../../models/fused-norm.js';
import { PER_SAMPLE_FILTER_GRAD } from '../../engine/kernels/per-sample-filter-grad.js';
import { NORM_PARAM_GRADS } from '../../engine/kernels/fused-norm.js';

/** Marks a pre-activation output z: an identity whose gradient the caller records. */
export type Tap = (z: tf.Tensor) => tf.Tensor;

export interface RuleForward {
  /** act(tap(z)). */
  readonly output: tf.Tensor;
  /** Tensors the per-sample step needs (the caller keeps them alive). */
  readonly saved: tf.Tensor[];
}

/**
 * Per-sample gradients that are outer products, kept factored: sample b's
 * gradient is a[b] d[b]^T (a [B, n], d [B, u]), never materialised unless the
 * sink needs rows (ghost clipping: clipping.ts OuterRows).
 */
export interface OuterFactors {
  readonly outer: readonly [tf.Tensor2D, tf.Tensor2D];
}

export type PerSampleGrad = tf.Tensor | OuterFactors;

export interface PerSampleRule {
  forward(layer: tfl.layers.Layer, input: tf.Tensor, tap: Tap): RuleForward;
  /** Per-sample gradients [B, ...weight shape] (or their factors), by weight name (kernel, bias, gamma, beta). */
  perSample(layer: tfl.layers.Layer, saved: tf.Tensor[], delta: tf.Tensor): Record<string, PerSampleGrad>;
}

/** The gradients as [B, ...weight shape] tensors (factors multiplied out). */
export function materialise(g: PerSampleGrad): tf.Tensor {
  if (g instanceof tf.Tensor) return g;
  const [a, d] = g.outer;
  const [b, n] = a.shape, units = d.shape[1];
  return tf.matMul(tf.reshape(a, [b, n, 1]) as tf.Tensor3D, tf.reshape(d, [b, 1, units]) as tf.Tensor3D);
}

type Config = Record<string, unknown>;
type Activation = { apply(x: tf.Tensor): tf.Tensor };

function weight(layer: tfl.layers.Layer, name: string): tf.Tensor | null {
  const w = layer.weights.find((v) => v.originalName.split('/').pop() === name);
  return w ? w.read() : null;
}

function activate(layer: tfl.layers.Layer, z: tf.Tensor): tf.Tensor {
  const activation = (layer as unknown as { activation?: Activation }).activation;
  return activation ? activation.apply(z) : z;
}

function refuse(layer: tfl.layers.Layer, why: string): never {
  throw new PrivmedError(`vectorised per-sample gradients cannot handle layer '${layer.name}' (${layer.getClassName()}): ${why}`, {
    hint: "use perSampleGradients: loop, which works for every layer",
  });
}

const dense: PerSampleRule = {
  forward(layer, input, tap) {
    if (input.rank !== 2) refuse(layer, `its input has rank ${input.rank}; only [batch, features] inputs are covered`);
    const kernel = weight(layer, 'kernel')!;
    const bias = weight(layer, 'bias');
    let z = tf.matMul(input as tf.Tensor2D, kernel as tf.Tensor2D);
    if (bias) z = tf.add(z, bias);
    return { output: activate(layer, tap(z)), saved: [input] };
  },
  perSample(_layer, [input], delta) {
    return { kernel: { outer: [input as tf.Tensor2D, delta as tf.Tensor2D] }, bias: delta };
  },
};

interface ConvGeometry {
  kernel: [number, number];
  strides: [number, number];
  dilation: [number, number];
  /** [top, bottom, left, right] */
  pad: [number, number, number, number];
  out: [number, number];
}

function pair(v: unknown): [number, number] {
  return Array.isArray(v) ? [Number(v[0]), Number(v[1] ?? v[0])] : [Number(v), Number(v)];
}

/** TensorFlow's padding arithmetic for 'same' and 'valid'. */
function convGeometry(layer: tfl.layers.Layer, inH: number, inW: number): ConvGeometry {
  const c = layer.getConfig() as Config;
  if (c.dataFormat !== undefined && c.dataFormat !== 'channelsLast') refuse(layer, `data format ${String(c.dataFormat)}; only channelsLast is covered`);
  const kernel = pair(c.kernelSize);
  const strides = pair(c.strides ?? 1);
  const dilation = pair(c.dilationRate ?? 1);
  const dims = [inH, inW].map((size, d) => {
    const effective = (kernel[d]! - 1) * dilation[d]! + 1;
    if (c.padding === 'same') {
      const out = Math.ceil(size / strides[d]!);
      const total = Math.max((out - 1) * strides[d]! + effective - size, 0);
      return { out, before: Math.floor(total / 2), after: total - Math.floor(total / 2) };
    }
    if (c.padding === 'valid') return { out: Math.ceil((size - effective + 1) / strides[d]!), before: 0, after: 0 };
    return refuse(layer, `padding '${String(c.padding)}'`);
  });
  return { kernel, strides, dilation, pad: [dims[0]!.before, dims[0]!.after, dims[1]!.before, dims[1]!.after], out: [dims[0]!.out, dims[1]!.out] };
}

const conv2d: PerSampleRule = {
  forward(layer, input, tap) {
    if (input.rank !== 4) refuse(layer, `its input has rank ${input.rank}`);
    const c = layer.getConfig() as Config;
    const kernel = weight(layer, 'kernel')! as tf.Tensor4D;
    const bias = weight(layer, 'bias');
    const g = convGeometry(layer, input.shape[1]!, input.shape[2]!);
    let z: tf.Tensor = tf.conv2d(input as tf.Tensor4D, kernel, g.strides, c.padding as 'same' | 'valid', 'NHWC', g.dilation);
    if (bias) z = tf.add(z, bias);
    return { output: activate(layer, tap(z)), saved: [input] };
  },
  perSample(layer, [input], delta) {
    const [b, inH, inW, cin] = input!.shape as [number, number, number, number];
    const cout = delta.shape[3]!;
    const g = convGeometry(layer, inH, inW);
    // Only a layer with a bias gets its per-sample sums (a conv before a norm has none: 4M floats summed for nothing).
    const bias = (): Record<string, tf.Tensor> => (weight(layer, 'bias') ? { bias: tf.sum(delta, [1, 2]) } : {});
    if (g.dilation[0] === 1 && g.dilation[1] === 1) return { kernel: perSampleFilterGrads(layer, input!, delta, g), ...bias() };
    const [top, bottom, left, right] = g.pad;
    const padded = tf.pad(input!, [[0, 0], [top, bottom], [left, right], [0, 0]]);
    const [outH, outW] = g.out;
    const deltaRows = tf.reshape(delta, [b, outH * outW, cout]) as tf.Tensor3D;
    const taps: tf.Tensor[] = [];
    for (let i = 0; i < g.kernel[0]; i++) {
      for (let j = 0; j < g.kernel[1]; j++) {
        const y0 = i * g.dilation[0];
        const x0 = j * g.dilation[1];
        // The input pixels tap (i, j) saw at every output position: [b, outH, outW, cin].
        const seen = tf.stridedSlice(padded, [0, y0, x0, 0], [b, y0 + (outH - 1) * g.strides[0] + 1, x0 + (outW - 1) * g.strides[1] + 1, cin], [1, g.strides[0], g.strides[1], 1]);
        taps.push(tf.matMul(tf.reshape(seen, [b, outH * outW, cin]) as tf.Tensor3D, deltaRows, true, false));
      }
    }
    const kernel = tf.reshape(tf.stack(taps, 1), [b, g.kernel[0], g.kernel[1], cin, cout]);
    return { kernel, ...bias() };
  },
};

/**
 * Each sample's filter gradient as the backend's own Conv2DBackpropFilter on
 * that sample alone: the same multiply-adds as one batch gradient, on the
 * backend's fastest kernel (native on the native engine), without the
 * per-tap copies of the input. [b, kh, kw, cin, cout].
 */
function perSampleFilterGrads(layer: tfl.layers.Layer, input: tf.Tensor, delta: tf.Tensor, g: ConvGeometry): tf.Tensor {
  const [b, inH, inW, cin] = input.shape as [number, number, number, number];
  const [, outH, outW, cout] = delta.shape as [number, number, number, number];
  const attrs = { strides: g.strides, pad: (layer.getConfig() as Config).padding, dataFormat: 'NHWC', filterShape: [g.kernel[0], g.kernel[1], cin, cout] };
  // The wasm engine's kernel: every sample in one call, on aliases of the batch (no slices, no stack).
  if (tf.getKernel(PER_SAMPLE_FILTER_GRAD, tf.getBackend()) !== undefined) return tf.engine().runKernel(PER_SAMPLE_FILTER_GRAD, { x: input, dy: delta }, attrs as never) as tf.Tensor;
  const grads: tf.Tensor[] = [];
  for (let s = 0; s < b; s++) {
    const x = tf.slice(input, [s, 0, 0, 0], [1, inH, inW, cin]);
    const dy = tf.slice(delta, [s, 0, 0, 0], [1, outH, outW, cout]);
    grads.push(tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs as never) as tf.Tensor);
  }
  return tf.stack(grads);
}

/** Sums over every axis but the batch axis and `keep`. */
function sumPerSample(t: tf.Tensor, keep: number[]): tf.Tensor {
  const axes: number[] = [];
  for (let a = 1; a < t.rank; a++) if (!keep.includes(a)) axes.push(a);
  return axes.length ? tf.sum(t, axes) : t;
}

const groupNorm: PerSampleRule = {
  forward(layer, input, tap) {
    if (input.rank !== 4) refuse(layer, `its input has rank ${input.rank}`);
    const c = layer.getConfig() as Config;
    const groups = Number(c.groups);
    const gamma = weight(layer, 'gamma')!, beta = weight(layer, 'beta')!;
    // The backend's fused kernels where it has them: the norm, and each sample's dgamma and dbeta
    // from its input and statistics (no xhat kept, no full-size products and sums).
    const fused = tf.getKernel(NORM_PARAM_GRADS, tf.getBackend()) ? fusedNorm(input, gamma, beta, groups, Number(c.epsilon)) : null;
    if (fused) return { output: tap(fused[0]), saved: [input, fused[1], fused[2]] };
    const [n, h, w, ch] = input.shape as [number, number, number, number];
    const grouped = tf.reshape(input, [n, h * w, groups, ch / groups]);
    const { mean, variance } = tf.moments(grouped, [1, 3], true);
    const xhat = tf.reshape(tf.mul(tf.sub(grouped, mean), tf.rsqrt(tf.add(variance, Number(c.epsilon)))), [n, h, w, ch]);
    const z = tf.add(tf.mul(xhat, gamma), beta);
    return { output: tap(z), saved: [xhat] };
  },
  perSample(layer, saved, delta) {
    if (saved.length === 3) {
      const c = layer.getConfig() as Config;
      const [x, mean, variance] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
      const [gamma, beta] = tf.engine().runKernel(NORM_PARAM_GRADS, { dy: delta, x, mean, variance }, { groups: Number(c.groups), epsilon: Number(c.epsilon) }) as tf.Tensor[];
      return { gamma: gamma!, beta: beta! };
    }
    const [xhat] = saved;
    return { gamma: sumPerSample(tf.mul(delta, xhat!), [3]), beta: sumPerSample(delta, [3]) };
  },
};

function layerNormAxes(layer: tfl.layers.Layer, rank: number): number[] {
  const raw = (layer.getConfig() as Config).axis;
  const axes = (Array.isArray(raw) ? raw : [raw]).map((a) => (Number(a) < 0 ? Number(a) + rank : Number(a)));
  if (axes.includes(0)) refuse(layer, 'it normalises over the batch axis, which mixes samples');
  if (axes.some((a, i) => i > 0 && a <= axes[i - 1]!)) refuse(layer, 'its axes are not in increasing order');
  return axes;
}

const layerNorm: PerSampleRule = {
  forward(layer, input, tap) {
    const c = layer.getConfig() as Config;
    const axes = layerNormAxes(layer, input.rank);
    const { mean, variance } = tf.moments(input, axes, true);
    const xhat = tf.mul(tf.sub(input, mean), tf.rsqrt(tf.add(variance, Number(c.epsilon))));
    // gamma and beta have the normalised axes' shape; broadcast them over the others.
    const shape = input.shape.map((d, a) => (axes.includes(a) ? d : 1));
    const gamma = weight(layer, 'gamma');
    const beta = weight(layer, 'beta');
    let z: tf.Tensor = xhat;
    if (gamma) z = tf.mul(z, tf.reshape(gamma, shape));
    if (beta) z = tf.add(z, tf.reshape(beta, shape));
    return { output: tap(z), saved: [xhat] };
  },
  perSample(layer, [xhat], delta) {
    const axes = layerNormAxes(layer, delta.rank);
    return { gamma: sumPerSample(tf.mul(delta, xhat!), axes), beta: sumPerSample(delta, axes) };
  },
};

const RULES: Readonly<Record<string, PerSampleRule>> = {
  Dense: dense,
  Conv2D: conv2d,
  GroupNormalization: groupNorm,
  LayerNormalization: layerNorm,
};

/** The rule for a layer with trainable weights, or a refusal that says why. */
export function ruleFor(layer: tfl.layers.Layer): PerSampleRule {
  const rule = RULES[layer.getClassName()];
  if (!rule) {
    refuse(layer, `no per-sample gradient rule for ${layer.getClassName()} layers (covered: ${Object.keys(RULES).join(', ')})`);
  }
  return rule;
}
