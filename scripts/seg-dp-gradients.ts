// Per-case gradient norms of a hippocampus U-Net against DP-SGD's noise (docs/segmentation.md, "why 144 cases are too few").
//   node --import tsx scripts/seg-dp-gradients.ts [WIDTH=16] [STEPS=0,40] [SLICES=4] [DEPTH=3]
// At each of STEPS (non-private Adam steps at batch 32 taken before it): the per-case gradient norms of 48 drawn
// training cases (one slice each, then SLICES slices averaged per case), the norm of the mean of the gradients
// clipped at 1, and the norm of DP-SGD's noise on that mean at noise multiplier 2.2 (sigma C sqrt(d) / B).
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../src/common/rng.js';
import { loadBatch, TransformedDataset } from '../src/data/dataset.js';
import { openSegmentation, segmentationFolder } from '../src/data/segmentation/open-segmentation.js';
import { segAugmentation } from '../src/data/segmentation/seg-augment.js';
import { patchFor, SliceDataset } from '../src/data/segmentation/slice-dataset.js';
import { perSampleGradients } from '../src/dp/per-sample/per-sample.js';
import { loadViews } from '../src/dp/sgd/multiplicity.js';
import { initBackend } from '../src/engine/backend.js';
import { buildModel } from '../src/models/build.js';
import { initWeights } from '../src/training/init.js';
import { maskLabels, segmentationLossPerSample } from '../src/training/segmentation-task.js';

const [width, steps, slices, depth] = [Number(process.argv[2] ?? 16), (process.argv[3] ?? '0,40').split(',').map(Number), Number(process.argv[4] ?? 4), Number(process.argv[5] ?? 3)];
await initBackend();
const splits = await openSegmentation(segmentationFolder('hippocampus'), { numClasses: 3, axis: 0 }, { testFraction: 0.2, valFraction: 0.1, splitSeed: 7 });
const patch = patchFor([...splits.train, ...splits.val, ...splits.test], 3);
const cases = new SliceDataset(splits.train, { mode: 'sample', patch, classes: ['background', 'anterior', 'posterior'], context: 1, foreground: 0.8, repeat: 1, seed: 1 });
const ds = new TransformedDataset(cases, segAugmentation({ height: patch[0], width: patch[1], channels: 3 }), 1);
const model = buildModel({ arch: 'unet', inputShape: [patch[0], patch[1], 3], numClasses: 3, norm: 'group', depth, width });
initWeights(model, 1);
const loss = segmentationLossPerSample(3, 'dice+ce');
const ps = perSampleGradients(model, loss, 'auto', maskLabels);
const sizes = ps.variables.map((v) => v.size);
const d = sizes.reduce((a, b) => a + b, 0);
console.log(`depth ${depth}, width ${width}: ${d} weights, ${splits.train.length} training cases, patch ${patch.join('x')}`);
const rng = new Rng(5);

async function probe(at: number, k: number): Promise<void> {
  const B = 48;
  const batch = await loadViews(ds, Int32Array.from({ length: B }, () => rng.int(cases.length)), k);
  const acc = sizes.map((n) => new Float64Array(n));
  const perCase: Float64Array[][] = [];
  let seen = 0;
  await ps.accumulate(batch, {
    add(grads, row = 0) {
      grads.forEach((g, v) => {
        const a = acc[v]!;
        for (let i = 0; i < a.length; i++) a[i]! += g[row * a.length + i]! / k;
      });
      if (++seen % k === 0) {
        perCase.push(acc.map((a) => Float64Array.from(a)));
        for (const a of acc) a.fill(0);
      }
    },
  });
  const norms = perCase.map((g) => Math.sqrt(g.reduce((s, a) => s + a.reduce((t, x) => t + x * x, 0), 0)));
  const mean = sizes.map((n) => new Float64Array(n));
  perCase.forEach((g, j) => g.forEach((a, v) => a.forEach((x, i) => (mean[v]![i]! += (Math.min(1, 1 / norms[j]!) * x) / B))));
  const sorted = [...norms].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!.toFixed(2);
  const meanNorm = Math.sqrt(mean.reduce((s, a) => s + a.reduce((t, x) => t + x * x, 0), 0));
  console.log(`after ${at} steps, ${k} slice(s) per case: norm p10 ${q(0.1)} p50 ${q(0.5)} p90 ${q(0.9)}; mean clipped (C = 1) ${meanNorm.toFixed(3)}; noise (sigma 2.2, B ${B}) ${((2.2 * Math.sqrt(d)) / B).toFixed(2)}`);
}

const opt = tf.train.adam(0.003);
let done = 0;
for (const target of steps) {
  for (; done < target; done++) {
    const b = await loadBatch(ds, Int32Array.from({ length: 32 }, () => rng.int(cases.length)));
    const x = tf.tensor4d(b.x, [b.size, patch[0], patch[1], 3]);
    const y = maskLabels(b);
    opt.minimize(() => tf.mean(loss(model.apply(x, { training: true }) as tf.Tensor, y)) as tf.Scalar);
    tf.dispose([x, y]);
  }
  await probe(target, 1);
  if (slices > 1) await probe(target, slices);
}
