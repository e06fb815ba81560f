import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend.js';
import { readImage } from '../../src/data/images/read-image.js';
import { normalizeInPlace } from '../../src/data/preprocess/normalize.js';
import { applyStain, stainSpecOf } from '../../src/data/stain/stain-spec.js';
import { buildModel } from '../../src/models/build.js';
import { saveModel } from '../../src/models/io.js';
import { initWeights } from '../../src/training/init.js';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
const S = 24;

/** An H&E-like tile: purple discs on pink, the shades varying with `seed`. */
function tile(seed: number): Buffer {
  const buf = Buffer.alloc(S * S * 3);
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const nucleus = ((x + seed) % 8 - 4) ** 2 + ((y * seed) % 8 - 4) ** 2 < 6;
      buf.set(nucleus ? [90 + seed * 5, 50, 140] : [230 - seed * 3, 140 + seed * 4, 190], (y * S + x) * 3);
    }
  }
  return buf;
}

test('predict and evaluate on a folder of class folders apply the stored stain normalisation and print accuracy and the confusion matrix', async () => {
  await initBackend('wasm');
  const dir = mkdtempSync(join(tmpdir(), 'privmed-folder-cli-'));
  try {
    const data = join(dir, 'tiles');
    for (const [k, cls] of ['adipose', 'tumour'].entries()) {
      mkdirSync(join(data, cls), { recursive: true });
      for (let i = 0; i < 3; i++) await sharp(tile(1 + i + 3 * k), { raw: { width: S, height: S, channels: 3 } }).tiff({ compression: 'packbits' }).toFile(join(data, cls, `t${i}.tif`));
    }
    const spec = { arch: 'small-cnn', inputShape: [S, S, 3], numClasses: 2, norm: 'none' } as const;
    const model = buildModel({ ...spec, inputShape: [S, S, 3] });
    initWeights(model, 3);
    const normalisation = { mean: [0.6, 0.4, 0.7], std: [0.2, 0.2, 0.2] };
    const stain = stainSpecOf('reinhard', Float32Array.from(tile(4), (v) => v / 255), 'reference');
    const preprocessing = { version: 1, input: { height: S, width: S, channels: 3 }, stain, normalize: normalisation };
    await saveModel(join(dir, 'model'), model, { spec: { ...spec, inputShape: [S, S, 3] }, classes: ['adipose', 'tumour'], normalisation, preprocessing });

    const run = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args, '--model', join(dir, 'model'), '--data', data], { encoding: 'utf8', timeout: 120_000 });
    const p = run(['predict', '--json']);
    assert.equal(p.status, 0, p.stderr);
    const lines = p.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 7);
    const files = lines.slice(0, 6) as { file: string; class: string; probability: number; label: string }[];
    const summary = lines[6] as { accuracy: number; confusion: number[][]; n: number; recall: number[] };
    assert.equal(summary.n, 6);
    assert.equal(summary.accuracy, files.filter((f) => f.class === f.label).length / 6);
    assert.equal(summary.confusion.flat().reduce((a, b) => a + b, 0), 6);
    // The probability printed is the model's on the stain-normalised, normalised pixels.
    const first = files.find((f) => f.file.endsWith(join('tumour', 't0.tif')))!;
    const img = await readImage(first.file);
    const x = normalizeInPlace(applyStain(img.data, stain), 3, normalisation);
    const probs = tf.tidy(() => tf.softmax(model.apply(tf.tensor4d(x, [1, S, S, 3])) as tf.Tensor2D).dataSync());
    assert.ok(Math.abs(first.probability - Math.max(probs[0]!, probs[1]!)) < 1e-5, `${first.probability} vs ${Array.from(probs)}`);
    const e = run(['evaluate', '--json']);
    assert.equal(e.status, 0, e.stderr);
    const m = JSON.parse(e.stdout) as { accuracy: number; confusion: number[][] };
    assert.equal(m.accuracy, summary.accuracy);
    assert.deepEqual(m.confusion, summary.confusion);
    // Test-time augmentation on request: the 8 flips and quarter turns, a different (averaged) loss.
    const t = run(['evaluate', '--json', '--tta', 'dihedral']);
    assert.equal(t.status, 0, t.stderr);
    const tm = JSON.parse(t.stdout) as { tta: string; loss: number; n: number };
    assert.equal(tm.tta, 'dihedral');
    assert.equal(tm.n, 6);
    assert.notEqual(tm.loss, (m as unknown as { loss: number }).loss);
    assert.match(run(['evaluate', '--tta', 'sideways']).stderr, /--tta: expected stored, dihedral or none, got 'sideways'/);
    const human = run(['evaluate']);
    assert.match(human.stdout, /test accuracy \d\.\d{4}/);
    assert.match(human.stdout, /confusion matrix \(rows: true, columns: predicted\), n = 6/);
    assert.match(human.stdout, /recall per class: adipose/);
    model.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
