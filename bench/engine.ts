/**
 * `npm run bench -- engine`: training and inference samples/s of the small CNN
 * (1x64x64, batch 32) and ResNet-18 (1x224x224, batch 8) on the active backend.
 * Inference runs as predict/evaluate run it (BatchNorm folded into the conv
 * before it, src/models/folded-inference.ts); PyTorch runs eager, unfolded.
 * When python3 can import torch, PyTorch CPU (as many threads as privmed) runs the same shapes
 * in the same bench run and becomes the baseline of each ratio. With the
 * native add-on built, every case runs on both engines (native, then wasm).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendName } from '../src/engine/backend.js';
import { fusedAdam } from '../src/engine/fused-adam.js';
import { engineChoice, useEngine, type EngineName } from '../src/engine/native-addon.js';
import { defaultThreadCount } from '../src/engine/wasm-threads.js';
import { buildModel } from '../src/models/build.js';
import { foldedInference } from '../src/models/folded-inference.js';
import type { ModelSpec } from '../src/models/spec.js';
import { initWeights } from '../src/training/init.js';
import { standardGradientStep } from '../src/training/core.js';
import { weightedCrossEntropy } from '../src/training/loss.js';
import { medianMs, type Report } from './harness.js';

interface TorchFigures {
  model: string;
  train: number;
  infer: number;
  threads: number;
  torch: string;
}

const CASES: { name: string; spec: ModelSpec; batch: number; steps: number }[] = [
  { name: 'small-cnn', spec: { arch: 'small-cnn', inputShape: [64, 64, 1], numClasses: 2, norm: 'none' }, batch: 32, steps: 8 },
  { name: 'resnet18', spec: { arch: 'resnet18', inputShape: [224, 224, 1], numClasses: 2, norm: 'batch' }, batch: 8, steps: 3 },
];

function pytorchFigures(steps: number, threads: number): { figures: TorchFigures[]; note?: string } {
  // Beside this file when run from source, two levels up when run from dist/bench.
  const script = ['./pytorch_reference.py', '../../bench/pytorch_reference.py']
    .map((rel) => fileURLToPath(new URL(rel, import.meta.url)))
    .find((p) => existsSync(p))!;
  // Debian's python3-torch lives under /usr/bin/python3, which may not be the python3 on PATH.
  const python = ['python3', '/usr/bin/python3'].find((py) => spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0);
  if (!python) return { figures: [], note: 'PyTorch comparison skipped: python3 cannot import torch (apt-get install python3-torch to enable)' };
  const r = spawnSync(python, [script, String(threads), String(steps)], { encoding: 'utf8', timeout: 20 * 60_000 });
  if (r.status !== 0) return { figures: [], note: `PyTorch comparison failed: ${r.stderr.trim().split('\n').pop()}` };
  return { figures: r.stdout.trim().split('\n').map((l) => JSON.parse(l) as TorchFigures) };
}

export async function benchEngine(report: Report, opts: { backend?: BackendName; quick?: boolean } = {}): Promise<void> {
  const line = await initBackend(opts.backend ?? 'wasm');
  process.stderr.write(line + '\n');
  // PyTorch gets the threads privmed runs with (PRIVMED_THREADS, else one per core).
  const torch = pytorchFigures(opts.quick ? 2 : 5, engineChoice()?.threads ?? defaultThreadCount());
  if (torch.note) process.stderr.write(torch.note + '\n');
  const engines: EngineName[] = (opts.backend ?? 'wasm') === 'wasm' && engineChoice()?.engine === 'native' ? ['native', 'wasm'] : ['wasm'];
  try {
    for (const engine of engines) {
      useEngine(engine);
      await benchCases(report, torch, engines.length > 1 ? ` (${engine})` : '', opts.quick);
    }
  } finally {
    useEngine(null);
  }
}

async function benchCases(report: Report, torch: { figures: TorchFigures[] }, suffix: string, quick?: boolean): Promise<void> {
  const opts = { quick };
  for (const c of CASES) {
    const model = buildModel(c.spec);
    initWeights(model, 1);
    const optimizer: tf.Optimizer = fusedAdam(1e-3);
    const [h, w, ch] = c.spec.inputShape;
    const x = Float32Array.from({ length: c.batch * h * w * ch }, () => Math.random());
    const y = Int32Array.from({ length: c.batch }, (_, i) => i % 2);
    const batch = { x, y, size: c.batch, indices: new Int32Array(c.batch) };
    const lossFn = (logits: tf.Tensor, labels: tf.Tensor) => weightedCrossEntropy(logits as tf.Tensor2D, labels as tf.Tensor1D, null);
    const steps = opts.quick ? 1 : c.steps;
    const trainMs = await medianMs(async () => {
      const { grads } = await standardGradientStep(batch, model, lossFn);
      optimizer.applyGradients(grads);
      tf.dispose(grads);
    }, steps);
    // Inference as privmed's predict/evaluate run it: BatchNorms folded into their convolutions (ResNet-18; the small CNN has none).
    const session = foldedInference(model);
    const inferMs = await medianMs(async () => {
      const out = tf.tidy(() => session.apply(tf.tensor4d(x, [c.batch, h, w, ch])));
      await out.data();
      out.dispose();
    }, steps);
    session.dispose();
    const ref = torch.figures.find((f) => f.model === c.name);
    const label = ref ? `PyTorch ${ref.torch} CPU ${ref.threads} threads` : undefined;
    report({ metric: `${c.name} train${suffix}`, value: (c.batch * 1000) / trainMs, unit: 'samples/s', baseline: ref?.train, baselineLabel: label });
    report({ metric: `${c.name} inference${suffix}`, value: (c.batch * 1000) / inferMs, unit: 'samples/s', baseline: ref?.infer, baselineLabel: label });
    optimizer.dispose();
    model.dispose();
  }
}
