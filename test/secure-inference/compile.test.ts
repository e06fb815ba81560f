import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../../src/engine/backend.js';
import { buildModel } from '../../src/models/build.js';
import type { ModelMetadata } from '../../src/models/io.js';
import type { ModelSpec } from '../../src/models/spec.js';
import { prepareCompiled } from '../../src/secure-inference/prepare.js';
import { decodeFixed, digitLayout, encodeFixed, FRACTION_BITS, gateCompareBits, referenceForward, ringArgmax, runInProcess } from '../../src/smpc/index.js';
import { floatLogits, miniResnet, randomiseWeights } from './helpers.js';

await initBackend('wasm');

const normalisation = { mean: [0.5], std: [0.25] };

function meta(spec: ModelSpec): ModelMetadata {
  return { privmedVersion: 'test', spec, classes: Array.from({ length: spec.numClasses }, (_, i) => `c${i}`), normalisation };
}

function images(n: number, size: number, seed: number): Float32Array[] {
  let s = seed;
  const rand = (): number => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  return Array.from({ length: n }, () => Float32Array.from({ length: size }, () => (rand() - 0.5) / 0.25));
}

async function checkModel(model: tfl.LayersModel, spec: ModelSpec, n: number): Promise<void> {
  await initBackend('wasm');
  randomiseWeights(model, 7);
  const size = spec.inputShape.reduce((a, b) => a * b, 1);
  const xs = images(n, size, 11);
  const prepared = prepareCompiled(model, meta(spec), 'test-model', { revealLogits: true, calibration: images(4, size, 99) });
  const encoded = xs.map((x) => encodeFixed(x, FRACTION_BITS, prepared.plan.input.limit, 'pixel'));
  const { results, stats } = await runInProcess(prepared.plan, prepared.weights, encoded);
  assert.ok(stats.onlineBytes > 0 && stats.rounds > 0);
  const logitScale = prepared.plan.tensors[prepared.plan.logits]!.scale;
  for (let i = 0; i < n; i++) {
    const plain = floatLogits(model, xs[i]!);
    const fixed = referenceForward(prepared.plan, prepared.weights, encoded[i]!).get(prepared.plan.logits)!;
    const enc = decodeFixed(results[i]!.logits!, logitScale);
    const ref = decodeFixed(fixed, logitScale);
    let best = 0;
    for (let k = 1; k < plain.length; k++) if (plain[k]! > plain[best]!) best = k;
    assert.equal(results[i]!.classIndex, ringArgmax(fixed), `image ${i}: encrypted class vs fixed-point class`);
    assert.equal(results[i]!.classIndex, best, `image ${i}: encrypted class vs float class (logits ${Array.from(plain)})`);
    for (let k = 0; k < plain.length; k++) {
      // Against the same fixed-point arithmetic: each gate adds at most one unit; against float32: quantisation.
      assert.ok(Math.abs(enc[k]! - ref[k]!) < 0.01, `image ${i} logit ${k}: encrypted ${enc[k]} vs fixed-point ${ref[k]}`);
      assert.ok(Math.abs(enc[k]! - plain[k]!) < 0.05 * (1 + Math.abs(plain[k]!)), `image ${i} logit ${k}: encrypted ${enc[k]} vs float ${plain[k]}`);
    }
  }
}

test('small CNN with BatchNorm (folded), 16 px: encrypted classes and logits match tfjs', async () => {
  const spec: ModelSpec = { arch: 'small-cnn', inputShape: [16, 16, 1], numClasses: 2, norm: 'batch' };
  await checkModel(buildModel(spec), spec, 4);
});

test('residual network (stride-2 convs, 1x1 shortcut, 3x3 same max pool, adds, global average pool), 3 classes', async () => {
  const spec: ModelSpec = { arch: 'resnet18', inputShape: [12, 12, 1], numClasses: 3, norm: 'batch' };
  await checkModel(miniResnet(12, 3), spec, 4);
});

test('compiler refuses GroupNorm with the reason and a hint', async () => {
  await initBackend('wasm');
  const spec: ModelSpec = { arch: 'small-cnn', inputShape: [16, 16, 1], numClasses: 2, norm: 'group' };
  assert.throws(() => prepareCompiled(buildModel(spec), meta(spec), 'm'), (e: Error & { hint?: string }) => /GroupNormalization\) is not supported/.test(e.message) && /norm: batch or none/.test(e.hint ?? ''));
});

test('a pixel outside the calibrated input range is refused before anything is sent', async () => {
  await initBackend('wasm');
  const spec: ModelSpec = { arch: 'small-cnn', inputShape: [16, 16, 1], numClasses: 2, norm: 'none' };
  const prepared = prepareCompiled(buildModel(spec), meta(spec), 'm');
  const x = new Float32Array(256);
  x[17] = 50;
  assert.throws(() => encodeFixed(x, FRACTION_BITS, prepared.plan.input.limit, 'pixel'), /pixel 17 is 50, outside the calibrated range/);
});

test('tampered dealer material gives visibly wrong results', async () => {
  await initBackend('wasm');
  const spec: ModelSpec = { arch: 'small-cnn', inputShape: [16, 16, 1], numClasses: 2, norm: 'none' };
  const model = buildModel(spec);
  randomiseWeights(model, 3);
  const prepared = prepareCompiled(model, meta(spec), 'm', { revealLogits: true });
  const xs = images(2, 256, 5).map((x) => encodeFixed(x, FRACTION_BITS, prepared.plan.input.limit, 'pixel'));
  const honest = await runInProcess(prepared.plan, prepared.weights, xs);
  const tampered = await runInProcess(prepared.plan, prepared.weights, xs, ([, mo]) => {
    // One flipped byte in the model owner's first comparison tables: every gate of that layer.
    const gate = mo.find((s) => s.type === 'gate');
    if (gate?.type !== 'gate') return;
    const l = digitLayout(gateCompareBits(gate.share));
    gate.share.tables = gate.share.tables.slice();
    for (let g = 0; g < gate.share.count; g++) gate.share.tables[(g * l.tableBits + l.lt[l.widths.length - 1]!) >> 3] ^= 0xff;
  }).catch((e: Error) => e);
  if (tampered instanceof Error) return assert.match(tampered.message, /corrupted|not below/);
  const scale = prepared.plan.tensors[prepared.plan.logits]!.scale;
  const diff = Math.max(...tampered.results.flatMap((r, i) => Array.from(decodeFixed(r.logits!, scale), (v, k) => Math.abs(v - decodeFixed(honest.results[i]!.logits!, scale)[k]!))));
  assert.ok(diff > 0.1, `logits moved by only ${diff}`);
});
