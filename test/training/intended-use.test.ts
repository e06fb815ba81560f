/**
 * A model's intended use (#18 item 12): privmed train stores it (modality,
 * body part, photometric, 2-D, input shape and statistics, a Mahalanobis
 * OOD score calibrated at the 99th percentile of validation), and privmed
 * predict flags inputs outside it - a warning, or a refusal with --strict.
 * The chest X-ray part needs the real PneumoniaMNIST file and the pydicom /
 * nibabel test files; it measures the false-flag rate on the test split.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend.js';
import { parseWith } from '../../src/common/config-file.js';
import { TrainConfigSchema } from '../../src/site/train-config.js';
import { runTraining } from '../../src/site/run-local.js';
import { Rng } from '../../src/common/rng.js';
import { loadModel } from '../../src/models/io.js';
import { openMedMnist } from '../../src/data/resolve.js';
import { TransformedDataset } from '../../src/data/dataset.js';
import { normaliseTransform } from '../../src/data/preprocess/normalize.js';
import { checkInput, type IntendedUse } from '../../src/training/intended-use.js';
import { datasetFeatures, withFeatures } from '../../src/training/ood-score.js';
import { makeNpy, makeZip } from '../fixtures/npz-writer.js';
import { tempDir } from '../dp/helpers.js';
import { needData, dataFile } from '../helpers/data.js';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
const dir = tempDir('privmed-intended-use-');

before(async () => {
  await initBackend('wasm');
});

function trainConfig(dataset: string, output: string, epochs: number) {
  return parseWith(TrainConfigSchema, {
    data: { dataset },
    model: { arch: 'small-cnn', norm: 'group' },
    training: { epochs, batchSize: 32, augment: false, selectionMetric: 'auc', patience: 0, optimizer: { lr: 0.01 }, schedule: { name: 'constant' } },
    output,
  });
}

/** The share of a split's images that checkInput flags. */
async function falseFlagRate(modelDir: string, dataset: string, use: IntendedUse): Promise<{ flagged: number; total: number; reasons: Map<string, number> }> {
  const { model, meta } = await loadModel(modelDir);
  const test = (await openMedMnist(dataset)).splits.test;
  const { features, images } = await datasetFeatures(withFeatures(model), new TransformedDataset(test, normaliseTransform(meta.normalisation), 0));
  model.dispose();
  const reasons = new Map<string, number>();
  let flagged = 0;
  features.forEach((f, i) => {
    const found = checkInput(use, { format: 'npz' }, images[i]!, f);
    if (found.length) flagged++;
    for (const r of found) reasons.set(r.split(' ').slice(0, 2).join(' '), (reasons.get(r.split(' ').slice(0, 2).join(' ')) ?? 0) + 1);
  });
  return { flagged, total: features.length, reasons };
}

test('a trained model stores its intended use; header checks name the DICOM tag and the volume', async () => {
  // The halves task (top half bright for class 1), as a MedMNIST-style npz.
  const npz = join(dir, 'halves.npz');
  const size = 8;
  const rng = new Rng(3);
  const members: Record<string, Uint8Array> = {};
  for (const [split, n] of [['train', 256], ['val', 128], ['test', 128]] as const) {
    const images = new Uint8Array(n * size * size);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = i % 2;
      for (let p = 0; p < size * size; p++) {
        const top = p < (size * size) / 2;
        images[i * size * size + p] = Math.max(0, Math.min(255, Math.round(255 * ((top === (i % 2 === 1) ? 0.8 : 0.2) + 0.1 * rng.normal()))));
      }
    }
    members[`${split}_images.npy`] = makeNpy('|u1', [n, size, size], images);
    members[`${split}_labels.npy`] = makeNpy('|u1', [n, 1], labels);
  }
  writeFileSync(npz, makeZip(members));
  const out = await runTraining(trainConfig(npz, join(dir, 'halves'), 2));
  const use = (JSON.parse(readFileSync(join(out.modelDir, 'privmed.json'), 'utf8')) as { intendedUse: IntendedUse }).intendedUse;
  assert.deepEqual(use.inputShape, [8, 8, 1]);
  assert.equal(use.photometric, 'MONOCHROME');
  assert.equal(use.dimensions, 2);
  assert.equal(use.ood.validationImages, 128);
  assert.equal(use.ood.percentile, 99);
  assert.equal(use.modality, undefined, 'an unknown data set claims no modality');

  const rate = await falseFlagRate(out.modelDir, npz, use);
  assert.ok(rate.flagged / rate.total < 0.1, `its own test images: ${rate.flagged} of ${rate.total} flagged (${[...rate.reasons].join(', ')})`);

  // Header checks against a chest X-ray model's use.
  const { model } = await loadModel(out.modelDir);
  const x = new Float32Array(64);
  const f = tf.tidy(() => (withFeatures(model).apply(tf.tensor4d(x, [1, 8, 8, 1])) as tf.Tensor[])[0]!.dataSync());
  model.dispose();
  const chest: IntendedUse = { ...use, modality: ['CR', 'DX'], bodyPart: 'CHEST' };
  const found = checkInput(chest, { format: 'dicom', modality: 'CT', bodyPart: 'HEAD', photometric: 'RGB', frames: 1 }, x, f).join('; ');
  assert.match(found, /DICOM Modality CT, the model is for CR\/DX/);
  assert.match(found, /DICOM Body Part Examined HEAD, the model is for CHEST/);
  assert.match(found, /photometric interpretation RGB, the model is for MONOCHROME/);
  assert.match(checkInput(chest, { format: 'nifti', dims: [33, 41, 25] }, x, f).join('; '), /a 3-D volume \(33x41x25\), the model takes 2-D images/);
  assert.doesNotMatch(checkInput(chest, { format: 'dicom', modality: 'DX', bodyPart: 'CHEST', photometric: 'MONOCHROME1' }, x, f).join('; '), /DICOM|photometric/);
});

test('the chest X-ray model flags a CT slice, a NIfTI volume and noise, and few of its own test images (PneumoniaMNIST)', async (t) => {
  const npz = needData(t, 'pneumoniamnist/pneumoniamnist.npz');
  if (!npz) return;
  const out = await runTraining(trainConfig(npz, join(dir, 'chest'), 2));
  const use = (JSON.parse(readFileSync(join(out.modelDir, 'privmed.json'), 'utf8')) as { intendedUse: IntendedUse }).intendedUse;
  assert.deepEqual(use.modality, ['CR', 'DX']);
  assert.equal(use.bodyPart, 'CHEST');

  const rate = await falseFlagRate(out.modelDir, npz, use);
  t.diagnostic(`PneumoniaMNIST test split: ${rate.flagged} of ${rate.total} flagged (${((100 * rate.flagged) / rate.total).toFixed(1)}%): ${[...rate.reasons].map(([k, v]) => `${k} ${v}`).join(', ')}; test AUC ${out.test.auc.toFixed(3)}`);
  assert.ok(rate.flagged / rate.total < 0.1, `false flags ${rate.flagged} of ${rate.total}`);

  const noise = join(dir, 'noise.png');
  const rng = new Rng(5);
  await sharp(Buffer.from(Uint8Array.from({ length: 28 * 28 }, () => Math.floor(256 * rng.next()))), { raw: { width: 28, height: 28, channels: 1 } }).toColourspace('b-w').png().toFile(noise);
  const ct = dataFile('dicom/CT_small.dcm');
  const nifti = dataFile('nifti/anatomical.nii');
  const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'predict', '--model', out.modelDir, ...args], { encoding: 'utf8', timeout: 120_000 });
  const r = run('--json', ct, nifti, noise);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { file: string; class: string; probability: number; outsideIntendedUse?: string[] });
  const of = (file: string) => lines.find((l) => l.file === file)!;
  for (const file of [ct, nifti, noise]) t.diagnostic(`${file}: ${of(file).class} ${of(file).probability.toFixed(4)}; ${of(file).outsideIntendedUse?.join('; ') ?? 'not flagged'}`);
  assert.match(of(ct).outsideIntendedUse!.join('; '), /DICOM Modality CT, the model is for CR\/DX/);
  assert.match(of(nifti).outsideIntendedUse!.join('; '), /3-D volume \(33x41x25\)/);
  // And by content, header aside: the layout score does not depend on what the model learned.
  for (const file of [ct, nifti]) assert.match(of(file).outsideIntendedUse!.join('; '), /image layout score/);
  // Noise has no header to betray it: its content must.
  assert.match(of(noise).outsideIntendedUse?.join('; ') ?? '', /score|mean input|contrast/);

  // The default warns (and predicts); --strict refuses, naming the file and what differs.
  const warned = run(ct);
  assert.equal(warned.status, 0, warned.stderr);
  assert.match(warned.stderr, new RegExp(`privmed: warning: ${ct.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is outside the model's intended use: DICOM Modality CT`));
  const strict = run('--strict', ct);
  assert.notEqual(strict.status, 0);
  assert.match(strict.stderr, /is outside the model's intended use: DICOM Modality CT, the model is for CR\/DX/);
});
