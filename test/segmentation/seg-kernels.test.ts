import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { randomInput, relativeError, runOn, TOLERANCE, wasmVsCpu } from '../engine/compare.js';

/**
 * The kernels a U-Net training step adds to a classifier's: nearest-neighbour
 * upsampling and its gradient, concatenation (its gradient is a slice),
 * transposed convolution (Conv2DBackpropInput forward, conv2d and
 * Conv2DBackpropFilter backward), the per-pixel softmax over the channel
 * axis. All on wasm with the privmed kernels, against tfjs-backend-cpu
 * (the resize gradient at batch > 1 against its definition instead).
 */
test('gradients of a one-level U-Net (pool, upsample, concat, conv) with per-pixel cross-entropy match cpu', async () => {
  // Batch 1: tfjs-backend-cpu's ResizeNearestNeighborGrad is wrong for a batch of more (see below).
  const inputs = [
    randomInput([1, 8, 6, 3], 31), // images (2.5-D: 3 channels)
    randomInput([3, 3, 3, 4], 32), // encoder conv
    randomInput([3, 3, 4, 8], 33), // bottom conv
    randomInput([3, 3, 8, 4], 34), // up conv
    randomInput([1, 1, 8, 3], 35), // logits conv after the concat
    { values: Float32Array.from({ length: 8 * 6 * 3 }, (_, i) => (i % 3 === (Math.floor(i / 18) % 3) ? 1 : 0)), shape: [1, 8, 6, 3] }, // one-hot masks
  ];
  const err = await wasmVsCpu(inputs, (x, we, wb, wu, wl, y) => {
    const vars = [we, wb, wu, wl].map((t, i) => tf.variable(t!, true, `unet_${i}_${tf.getBackend()}`));
    const [fe, fb, fu, fl] = vars as unknown as tf.Tensor4D[];
    const { value, grads } = tf.variableGrads(() => {
      const e = tf.relu(tf.conv2d(x as tf.Tensor4D, fe!, 1, 'same'));
      const b = tf.relu(tf.conv2d(tf.maxPool(e, 2, 2, 'valid'), fb!, 1, 'same'));
      const u = tf.relu(tf.conv2d(tf.image.resizeNearestNeighbor(b, [8, 6]), fu!, 1, 'same'));
      const logits = tf.conv2d(tf.concat([e, u], 3), fl!, 1, 'same');
      return tf.neg(tf.mean(tf.sum(tf.mul(y!, tf.logSoftmax(logits)), 3))) as tf.Scalar;
    }, vars);
    const out = [value, ...vars.map((v) => grads[v.name]!)];
    tf.dispose(vars);
    return out;
  });
  assert.ok(err <= TOLERANCE, `relative error ${err}`);
});

test('a transposed convolution (stride 2) and its gradients match cpu', async () => {
  const inputs = [randomInput([2, 4, 3, 5], 41), randomInput([2, 2, 4, 5], 42), randomInput([2, 8, 6, 4], 43)];
  const err = await wasmVsCpu(inputs, (x, w, target) => {
    const v = tf.variable(w!, true, `tconv_${tf.getBackend()}`);
    const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(tf.sub(tf.conv2dTranspose(x as tf.Tensor4D, v as tf.Tensor4D, [2, 8, 6, 4], 2, 'same'), target!))) as tf.Scalar, [v]);
    const out = [value, grads[v.name]!];
    v.dispose();
    return out;
  });
  assert.ok(err <= TOLERANCE, `relative error ${err}`);
});

/** The gradient of sum(resizeNearest(x) * w) by definition: each w pixel added to the x pixel it was copied from. */
function resizeGradReference(x: number[], w: Float32Array, [n, inH, inW, c]: number[], [outH, outW]: number[], alignCorners: boolean): Float32Array {
  const src = (i: number, inS: number, outS: number) => {
    const scale = alignCorners && outS > 1 ? (inS - 1) / (outS - 1) : inS / outS;
    return Math.min(inS - 1, alignCorners ? Math.round(i * scale) : Math.floor(i * scale));
  };
  const g = new Float32Array(x.length);
  for (let b = 0; b < n!; b++)
    for (let r = 0; r < outH!; r++)
      for (let q = 0; q < outW!; q++)
        for (let d = 0; d < c!; d++) g[((b * inH! + src(r, inH!, outH!)) * inW! + src(q, inW!, outW!)) * c! + d]! += w[((b * outH! + r) * outW! + q) * c! + d]!;
  return g;
}

test('the nearest-neighbour resize gradient (2x, odd scales, alignCorners) on wasm is the definition, for batches of 2', async () => {
  // tfjs-backend-cpu 4.22 reads dy at the images' batch stride, so it is wrong for batch > 1 and cannot be the reference here.
  for (const [inH, inW, outH, outW, alignCorners] of [[4, 3, 8, 6, false], [5, 4, 7, 9, false], [5, 4, 7, 9, true], [6, 6, 4, 3, false]] as const) {
    const shape = [2, inH, inW, 3];
    const w = randomInput([2, outH, outW, 3], outH * 10 + inW);
    const [got] = await runOn('wasm', [randomInput(shape, 1), w], (x, wt) => [tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.image.resizeNearestNeighbor(t as tf.Tensor4D, [outH, outW], alignCorners), wt!)))(x!)]);
    const want = resizeGradReference(new Array(2 * inH * inW * 3).fill(0), w.values, shape, [outH, outW], alignCorners);
    assert.ok(relativeError(got!, want) <= TOLERANCE, `${inH}x${inW} -> ${outH}x${outW} alignCorners ${alignCorners}`);
  }
});
