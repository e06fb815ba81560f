import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend.js';
import { buildModel } from '../../src/models/build.js';
import { saveModel } from '../../src/models/io.js';
import { initWeights } from '../../src/training/init.js';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

test('predict on a PNG gives the probabilities of the model on the same pixels', async () => {
  await initBackend('wasm');
  const dir = mkdtempSync(join(tmpdir(), 'privmed-predict-'));
  const spec = { arch: 'small-cnn', inputShape: [16, 16, 1], numClasses: 2, norm: 'group' } as const;
  const model = buildModel({ ...spec, inputShape: [16, 16, 1] });
  initWeights(model, 8);
  const normalisation = { mean: [0.4], std: [0.25] };
  await saveModel(join(dir, 'model'), model, { spec: { ...spec, inputShape: [16, 16, 1] }, classes: ['normal', 'pneumonia'], normalisation });
  const pixels = Uint8Array.from({ length: 256 }, (_, i) => (i * 37) % 256);
  const png = join(dir, 'x.png');
  await sharp(Buffer.from(pixels), { raw: { width: 16, height: 16, channels: 1 } }).png().toFile(png);
  const expected = tf.tidy(() => {
    const x = tf.tensor4d(Float32Array.from(pixels, (v) => (v / 255 - 0.4) / 0.25), [1, 16, 16, 1]);
    return tf.softmax(model.apply(x) as tf.Tensor2D).dataSync();
  });
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'predict', '--model', join(dir, 'model'), '--json', png, join(dir, 'missing.png')], { encoding: 'utf8', timeout: 60_000 });
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { file: string; probabilities?: Record<string, number>; error?: string });
  assert.equal(lines.length, 2, r.stderr);
  assert.ok(Math.abs(lines[0]!.probabilities!.pneumonia! - expected[1]!) < 1e-5);
  assert.match(lines[1]!.error!, /missing\.png: cannot read file: ENOENT/);
  assert.equal(r.status, 1, 'an unreadable file makes the exit code non-zero');
  model.dispose();
});
