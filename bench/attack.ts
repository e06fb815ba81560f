/**
 * Cost of the attacks on this machine: one gradient-inversion reconstruction
 * (batch 1, the small CNN, 28 and 64 px; timed over a few hundred iterations
 * and given per iteration and per default 2,000-iteration restart), and one
 * LiRA shadow model (non-private and DP-SGD at epsilon 8, 1,000 images, one
 * epoch, the small CNN). Synthetic images: timing does not depend on content.
 * Baseline of the inversion: one plain forward + backward of the same batch
 * (what a training step costs), so the ratio is the price of double backprop.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/engine/backend.js';
import { ArrayDataset } from '../src/data/dataset.js';
import { captureTarget } from '../src/attacks/inversion/targets.js';
import { invertGradient } from '../src/attacks/inversion/invert.js';
import { meanCrossEntropy, orderedWeights, smallCnnLogits } from '../src/attacks/inversion/functional-cnn.js';
import { trainTarget } from '../src/attacks/train-target.js';
import type { Report } from './harness.js';

const synthetic = (n: number, size: number): ArrayDataset =>
  new ArrayDataset({ height: size, width: size, channels: 1, classes: ['a', 'b'] }, Float32Array.from({ length: n * size * size }, (_, i) => 0.5 + 0.4 * Math.sin(i * 0.017 + (i % 7))), Int32Array.from({ length: n }, (_, i) => i % 2));

export async function benchAttack(report: Report, opts: { quick?: boolean } = {}): Promise<void> {
  await initBackend('wasm');
  const iterations = opts.quick ? 50 : 200;
  for (const size of [28, 64]) {
    const pool = synthetic(4, size);
    const normalisation = { mean: [0.5], std: [0.25] };
    const t = await captureTarget({ kind: 'plain', pool, batch: 1, nodes: 1, normalisation, lr: 0.01, seed: 1 });
    // Baseline: a plain training step's forward + backward on the same network.
    const ws = orderedWeights(t.global).map((w) => tf.tensor(w.data, w.shape));
    const x = tf.randomNormal([1, size, size, 1]) as tf.Tensor4D;
    const onehot = tf.oneHot(tf.tensor1d([0], 'int32'), 2) as tf.Tensor2D;
    const t0 = performance.now();
    for (let i = 0; i < iterations; i++) tf.dispose(tf.grads((...ps: tf.Tensor[]) => meanCrossEntropy(smallCnnLogits(x, ps), onehot))(ws));
    const stepMs = (performance.now() - t0) / iterations;
    tf.dispose([...ws, x, onehot]);
    const t1 = performance.now();
    invertGradient({ weights: t.global, target: t.gradient, batch: 1, shape: { height: size, width: size, channels: 1 }, numClasses: 2, box: { lo: [-2], hi: [2] }, iterations, restarts: 1, seed: 1 });
    const iterMs = (performance.now() - t1) / iterations;
    report({ metric: `inversion.${size}px.b1.ms_per_iteration`, value: iterMs, unit: 'ms', baseline: stepMs, baselineLabel: 'one forward+backward of the same network' });
    report({ metric: `inversion.${size}px.b1.s_per_reconstruction_2000_iterations`, value: (iterMs * 2000) / 1000, unit: 's', note: 'one restart' });
  }
  const data = synthetic(opts.quick ? 200 : 1000, 28);
  const dir = mkdtempSync(join(tmpdir(), 'privmed-bench-attack-'));
  for (const dp of [false, true]) {
    const t0 = performance.now();
    const m = await trainTarget({ train: data, epochs: 1, batchSize: 64, lr: 0.05, seed: 1, ...(dp ? { privacy: { epsilon: 8, delta: 1e-5, clipNorm: 1, ledger: join(dir, 'ledger.sqlite'), site: 'bench' } } : {}) });
    m.model.dispose();
    report({ metric: `lira.shadow_model.${dp ? 'dp_eps8' : 'non_private'}.s_per_epoch_${data.length}_images`, value: (performance.now() - t0) / 1000, unit: 's' });
  }
}
