/**
 * privmed's small CNN (norm 'none': conv 3x3 + bias, ReLU, 2x2 max-pool, three
 * times; dense 64 ReLU; dense logits) written again with ops whose gradients
 * are themselves differentiable in tfjs, so that the gradient of the
 * parameter gradient with respect to the input exists (double backprop):
 * convolution as im2col (pad, nine slices, concat) and a matrix product
 * (tfjs has no gradient for Conv2DBackpropFilter), max-pooling as
 * max(a, b) = (a + b + |a - b|) / 2 over the four quadrants (MaxPoolGrad has
 * none either). Same weights, same outputs as the layers model: the attack
 * differentiates exactly the network the site trained.
 */
import * as tf from '@tensorflow/tfjs-core';
import { PrivmedError } from '../../common/errors.js';
import type { NamedWeights } from '../../training/weights.js';

export const SMALL_CNN_WEIGHTS = [
  'block1_conv/kernel',
  'block1_conv/bias',
  'block2_conv/kernel',
  'block2_conv/bias',
  'block3_conv/kernel',
  'block3_conv/bias',
  'fc/kernel',
  'fc/bias',
  'logits/kernel',
  'logits/bias',
] as const;

/** The weights in SMALL_CNN_WEIGHTS order; refuses any other network (BatchNorm, ResNet, ...). */
export function orderedWeights(weights: readonly NamedWeights[]): NamedWeights[] {
  const byName = new Map(weights.map((w) => [w.name.replace(/_\d+$/, ''), w]));
  const missing = SMALL_CNN_WEIGHTS.filter((n) => !byName.has(n));
  if (missing.length || weights.length !== SMALL_CNN_WEIGHTS.length) {
    throw new PrivmedError(
      `gradient inversion supports the small CNN without a norm layer (weights ${SMALL_CNN_WEIGHTS.join(', ')}); got ${weights.map((w) => w.name).join(', ')}`,
    );
  }
  return SMALL_CNN_WEIGHTS.map((n) => byName.get(n)!);
}

function conv3x3Same(x: tf.Tensor4D, kernel: tf.Tensor, bias: tf.Tensor): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  const padded = tf.pad(x, [
    [0, 0],
    [1, 1],
    [1, 1],
    [0, 0],
  ]);
  const cols: tf.Tensor[] = [];
  for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) cols.push(tf.slice(padded, [0, ky, kx, 0], [b, h, w, c]));
  const patches = tf.reshape(tf.concat(cols, 3), [b * h * w, 9 * c]);
  const f = kernel.shape[3]!;
  const y = tf.add(tf.matMul(patches, tf.reshape(kernel, [9 * c, f])), bias);
  return tf.reshape(y, [b, h, w, f]);
}

/** ReLU as x * step(x): privmed replaces tfjs's ReLU gradient with a kernel that has no gradient of its own. */
const relu = (x: tf.Tensor): tf.Tensor => tf.mul(x, tf.step(x));

const smoothMax = (a: tf.Tensor, b: tf.Tensor): tf.Tensor => tf.mul(tf.add(tf.add(a, b), tf.abs(tf.sub(a, b))), 0.5);

function maxPool2(x: tf.Tensor4D): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  const h2 = Math.floor(h / 2);
  const w2 = Math.floor(w / 2);
  const cropped = h2 * 2 === h && w2 * 2 === w ? x : tf.slice(x, [0, 0, 0, 0], [b, h2 * 2, w2 * 2, c]);
  const r = tf.reshape(cropped, [b * h2, 2, w2, 2 * c]);
  // Row pairs, then column pairs (the last axis holds the two columns' channels).
  const rows = smoothMax(tf.slice(r, [0, 0, 0, 0], [b * h2, 1, w2, 2 * c]), tf.slice(r, [0, 1, 0, 0], [b * h2, 1, w2, 2 * c]));
  const cols = smoothMax(tf.slice(rows, [0, 0, 0, 0], [b * h2, 1, w2, c]), tf.slice(rows, [0, 0, 0, c], [b * h2, 1, w2, c]));
  return tf.reshape(cols, [b, h2, w2, c]);
}

/** Logits of the small CNN for NHWC input x and the weights in SMALL_CNN_WEIGHTS order. */
export function smallCnnLogits(x: tf.Tensor4D, p: readonly tf.Tensor[]): tf.Tensor2D {
  let h = x;
  for (let i = 0; i < 3; i++) h = maxPool2(relu(conv3x3Same(h, p[2 * i]!, p[2 * i + 1]!)) as tf.Tensor4D);
  const flat = tf.reshape(h, [h.shape[0], -1]);
  const fc = relu(tf.add(tf.matMul(flat, p[6]! as tf.Tensor2D), p[7]!));
  return tf.add(tf.matMul(fc, p[8]! as tf.Tensor2D), p[9]!) as tf.Tensor2D;
}

/**
 * log-sum-exp over the classes as a fold of softplus: l = z_0, l <- l + softplus(z_c - l).
 * Not log(sum(exp)): tfjs's Exp gradient reuses the op's saved output, which is
 * not linked to its input on the tape, so a second derivative through exp comes
 * out wrong (checked against finite differences); softplus's gradient computes
 * sigmoid of its input afresh and differentiates correctly twice.
 */
function logSumExp(logits: tf.Tensor2D): tf.Tensor {
  const k = logits.shape[1];
  let l: tf.Tensor = tf.slice(logits, [0, 0], [-1, 1]);
  for (let c = 1; c < k; c++) l = tf.add(l, tf.softplus(tf.sub(tf.slice(logits, [0, c], [-1, 1]), l)));
  return l;
}

/** Mean softmax cross-entropy over the batch: the training core's loss without class weights. */
export function meanCrossEntropy(logits: tf.Tensor2D, onehot: tf.Tensor2D): tf.Scalar {
  const logp = tf.sub(logits, logSumExp(logits));
  return tf.neg(tf.mean(tf.sum(tf.mul(onehot, logp), 1))) as tf.Scalar;
}
