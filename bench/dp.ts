/**
 * `npm run bench -- dp`: the cost of privacy. One DP-SGD step (per-sample
 * gradients, clipping, exact Gaussian noise from the CSPRNG, optimizer update)
 * of the small CNN (1x64x64 GroupNorm, batch 32) against the non-private step
 * of the same model on the same backend, which is the baseline of each ratio.
 * Both per-sample strategies are timed. When python3 can import opacus, its
 * DP-SGD step on the same model (bench/opacus_reference.py) is measured in the
 * same run and is the baseline of a second ratio; privmed's goals: <= 1.0x
 * Opacus's step, <= 1.5x its own non-private step.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendName } from '../src/engine/backend.js';
import { fusedAdam } from '../src/engine/fused-adam.js';
import { buildModel } from '../src/models/build.js';
import { initWeights } from '../src/training/init.js';
import { standardGradientStep, type GradientStep } from '../src/training/core.js';
import { weightedCrossEntropy } from '../src/training/loss.js';
import { perSampleGradients, type PerSampleMethod } from '../src/dp/per-sample/per-sample.js';
import { weightedCrossEntropyPerSample } from '../src/training/loss.js';
import { planClipping } from '../src/dp/sgd/clipping.js';
import { dpSgdStep, poolLeavesACoreIdle } from '../src/dp/sgd/dp-sgd-step.js';
import { GaussianGridMechanism, type GaussianGridPlan } from '../src/dp/mechanisms/grid-gaussian.js';
import { discreteGaussianNoise } from '../src/dp/mechanisms/discrete-gaussian.js';
import { medianMs } from './harness.js';
import { opacusFigures } from './opacus-reference.js';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

type Report = (r: { metric: string; value: number; unit: string; baseline?: number; baselineLabel?: string }) => void;

const BATCH = 32;

export async function benchDp(report: Report, opts: { quick?: boolean; backend?: BackendName } = {}): Promise<void> {
  const line = await initBackend(opts.backend ?? 'wasm');
  process.stderr.write(line + '\n');
  const model = buildModel({ arch: 'small-cnn', inputShape: [64, 64, 1], numClasses: 2, norm: 'group' });
  initWeights(model, 1);
  const x = Float32Array.from({ length: BATCH * 64 * 64 }, () => Math.random());
  const y = Int32Array.from({ length: BATCH }, (_, i) => i % 2);
  const batch = { x, y, size: BATCH, indices: Int32Array.from({ length: BATCH }, (_, i) => i) };
  const lossFn = (logits: tf.Tensor, labels: tf.Tensor) => weightedCrossEntropy(logits as tf.Tensor2D, labels as tf.Tensor1D, null);
  const runs = opts.quick ? 2 : 7;
  const optimizer: tf.Optimizer = fusedAdam(1e-4);
  const stepOnce = async (step: GradientStep): Promise<number> => {
    const t = performance.now();
    const { grads } = await step(batch, model, lossFn);
    optimizer.applyGradients(grads);
    tf.dispose(grads);
    return performance.now() - t;
  };
  const steps: [string, GradientStep][] = [['non-private', standardGradientStep]];
  let noise: GaussianGridPlan | undefined;
  for (const method of ['loop', 'vectorised'] as PerSampleMethod[]) {
    const perSample = perSampleGradients(model, weightedCrossEntropyPerSample(null), method);
    const dp = dpSgdStep({ perSample, clip: planClipping({ kind: 'flat', norm: 1 }, perSample.variables), noiseMultiplier: 1, expectedBatchSize: BATCH });
    steps.push([method, dp.gradientStep]);
    noise = dp.noise;
    if (method === 'vectorised') {
      // The same step with the other noise timing than the default (drawn ahead on a background thread or at release).
      const ahead = !poolLeavesACoreIdle();
      const other = dpSgdStep({ perSample, clip: planClipping({ kind: 'flat', norm: 1 }, perSample.variables), noiseMultiplier: 1, expectedBatchSize: BATCH, noiseInBackground: ahead });
      steps.push([ahead ? 'vectorised, noise drawn ahead' : 'vectorised, noise drawn at release', other.gradientStep]);
    }
  }
  // Interleaved, so that load from other processes drifts over all of them alike. Each timed step follows
  // an untimed step of its own kind, as in training: a DP step's noise is drawn ahead during the step
  // before it, which must be a DP step too, not another variant's.
  const times = steps.map(() => [] as number[]);
  for (const [, step] of steps) await stepOnce(step);
  for (let r = 0; r < runs; r++) {
    for (let k = 0; k < steps.length; k++) {
      await stepOnce(steps[k]![1]);
      times[k]!.push(await stepOnce(steps[k]![1]));
    }
  }
  const [baseline, ...dpTimes] = times.map(median);
  const label = 'non-private step, same model and backend';
  report({ metric: 'small-cnn 1x64x64 b32 non-private step', value: baseline!, unit: 'ms/step' });
  dpTimes.forEach((ms, k) => report({ metric: `small-cnn 1x64x64 b32 DP-SGD step (${steps[k + 1]![0]})`, value: ms, unit: 'ms/step', baseline, baselineLabel: label }));
  const opacus = opacusFigures(runs);
  if ('note' in opacus) process.stderr.write(opacus.note + '\n');
  else {
    const ref = `Opacus ${opacus.opacus} DP-SGD step (PyTorch ${opacus.torch}, ${opacus.threads} threads)`;
    report({ metric: 'opacus small-cnn 1x64x64 b32 non-private step', value: opacus.nonPrivateMs, unit: 'ms/step' });
    report({ metric: 'opacus small-cnn 1x64x64 b32 DP-SGD step', value: opacus.dpMs, unit: 'ms/step', baseline: opacus.nonPrivateMs, baselineLabel: 'Opacus non-private step' });
    dpTimes.forEach((ms, k) => report({ metric: `small-cnn 1x64x64 b32 DP-SGD step (${steps[k + 1]![0]}) vs Opacus`, value: ms, unit: 'ms/step', baseline: opacus.dpMs, baselineLabel: ref }));
  }
  // The exact noise alone, drawn at once (a DP-SGD step draws it in the background while its gradients compute):
  // one discrete Gaussian per parameter from the CSPRNG, on this engine and with the JavaScript sampler.
  const mechanism = new GaussianGridMechanism(noise!);
  const zero = new Float64Array(noise!.dimensions);
  const noiseMs = await medianMs(() => void mechanism.release(zero), runs);
  report({ metric: `exact Gaussian noise for ${noise!.dimensions} parameters`, value: noiseMs, unit: 'ms/step', baseline, baselineLabel: label });
  const jsMs = await medianMs(() => void discreteGaussianNoise(noise!.dimensions, noise!.log2Scale, 'js'), runs);
  report({ metric: `exact Gaussian noise for ${noise!.dimensions} parameters (JavaScript sampler)`, value: jsMs, unit: 'ms/step', baseline: noiseMs, baselineLabel: 'the noise on this engine' });
  optimizer.dispose();
  model.dispose();
}
