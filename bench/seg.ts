/**
 * `npm run bench -- seg`: segmentation throughput. Training and inference of
 * the 2-D U-Net of the Montgomery run (64x64x1) and of the volume model of
 * the hippocampus run (2.5-D: 64x48 slices with one neighbour on each side
 * as channels; inference of a whole 36-slice volume), and one DP-SGD step
 * (per-sample gradients by loop and vectorised, clipping, noise) against the
 * non-private step of the same model, the baseline of each ratio.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../src/engine/backend.js';
import { buildModel } from '../src/models/build.js';
import { initWeights } from '../src/training/init.js';
import { standardGradientStep, type GradientStep } from '../src/training/core.js';
import { segmentationTask } from '../src/training/segmentation-task.js';
import { perSampleGradients, type PerSampleMethod } from '../src/dp/per-sample/per-sample.js';
import { planClipping } from '../src/dp/sgd/clipping.js';
import { dpSgdStep } from '../src/dp/sgd/dp-sgd-step.js';
import { Rng } from '../src/common/rng.js';
import { applyUpdate } from '../src/training/optimizer.js';
import type { Batch } from '../src/data/dataset.js';
import { medianMs, type Report } from './harness.js';

const BATCH = 16;

function randomBatch(h: number, w: number, c: number, k: number, n: number): Batch {
  const rng = new Rng(1);
  return {
    x: Float32Array.from({ length: n * h * w * c }, () => rng.normal()),
    y: new Int32Array(n),
    masks: Int32Array.from({ length: n * h * w }, () => (rng.next() < 0.9 ? 0 : 1 + rng.int(k - 1))),
    groups: Int32Array.from({ length: n }, (_, i) => i),
    indices: Int32Array.from({ length: n }, (_, i) => i),
    size: n,
  };
}

async function timeSteps(model: tfl.LayersModel, batch: Batch, k: number, steps: [string, GradientStep][], runs: number): Promise<Map<string, number>> {
  const task = segmentationTask({ numClasses: k });
  const optimizer = tf.train.adam(1e-4);
  const vars = model.trainableWeights.map((v) => v.read() as tf.Variable);
  const out = new Map<string, number[]>();
  for (let r = 0; r < runs + 1; r++) {
    // Interleaved, so load from other processes drifts over all of them alike; the first round warms up.
    for (const [name, step] of steps) {
      const t = performance.now();
      const { grads } = await step(batch, model, task.loss, task.labels);
      applyUpdate(optimizer, grads, vars, 0);
      if (r > 0) out.set(name, [...(out.get(name) ?? []), performance.now() - t]);
    }
  }
  optimizer.dispose();
  return new Map([...out].map(([n, xs]) => [n, [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!]));
}

async function inferenceMs(model: tfl.LayersModel, batch: Batch, runs: number): Promise<number> {
  const [h, w, c] = (model.inputs[0]!.shape as number[]).slice(1) as [number, number, number];
  return medianMs(async () => {
    const y = tf.tidy(() => tf.argMax(model.apply(tf.tensor4d(batch.x, [batch.size, h, w, c]), { training: false }) as tf.Tensor, 3));
    await y.data();
    y.dispose();
  }, runs);
}

export async function benchSeg(report: Report, opts: { quick?: boolean } = {}): Promise<void> {
  process.stderr.write((await initBackend('wasm')) + '\n');
  const runs = opts.quick ? 2 : 5;
  const models = [
    { name: '2d (Montgomery 64x64x1, depth 4, width 16)', h: 64, w: 64, c: 1, k: 2, depth: 4, width: 16, volume: 0 },
    { name: 'volume (hippocampus 2.5-D 64x48x3, depth 3, width 16)', h: 64, w: 48, c: 3, k: 3, depth: 3, width: 16, volume: 36 },
  ];
  for (const m of models) {
    const model = buildModel({ arch: 'unet', inputShape: [m.h, m.w, m.c], numClasses: m.k, norm: 'group', depth: m.depth, width: m.width });
    initWeights(model, 1);
    const batch = randomBatch(m.h, m.w, m.c, m.k, BATCH);
    const task = segmentationTask({ numClasses: m.k });
    const steps: [string, GradientStep][] = [['non-private', standardGradientStep]];
    for (const method of ['loop', 'vectorised'] as PerSampleMethod[]) {
      const perSample = perSampleGradients(model, task.perSampleLoss, method, task.labels);
      steps.push([method, dpSgdStep({ perSample, clip: planClipping({ kind: 'flat', norm: 1 }, perSample.variables), noiseMultiplier: 1, expectedBatchSize: BATCH }).gradientStep]);
    }
    const ms = await timeSteps(model, batch, m.k, steps, runs);
    const base = ms.get('non-private')!;
    report({ metric: `${m.name}: training`, value: (BATCH * 1000) / base, unit: 'slices/s', note: `batch ${BATCH}, ${model.countParams()} parameters` });
    for (const method of ['loop', 'vectorised']) {
      report({ metric: `${m.name}: DP-SGD step (${method})`, value: ms.get(method)!, unit: 'ms', baseline: base, baselineLabel: 'non-private step' });
    }
    if (m.volume) {
      const vol = randomBatch(m.h, m.w, m.c, m.k, m.volume);
      report({ metric: `${m.name}: inference`, value: 1000 / (await inferenceMs(model, vol, runs)), unit: 'volumes/s', note: `${m.volume} slices each` });
    } else {
      report({ metric: `${m.name}: inference`, value: (BATCH * 1000) / (await inferenceMs(model, batch, runs)), unit: 'images/s' });
    }
    model.dispose();
  }
}
