import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { PrivacyLedger } from '../../src/accounting/index.js';
import { decodeNifti } from '../../src/data/nifti/read-nifti.js';
import { writePngFolder, writeVolumeFolder } from './fixtures.js';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8', timeout: 300_000, env: { ...process.env, PRIVMED_THREADS: '1' } });

test('privmed train (task: segmentation) on PNG pairs learns the disc; evaluate --json reports Dice per class and meanDice; predict writes PNG masks', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'privmed-seg-cli-'));
  const data = join(dir, 'discs');
  await writePngFolder(data, 24, 16);
  const cfg = join(dir, 'seg.yaml');
  writeFileSync(
    cfg,
    [
      'task: segmentation',
      `data: { dataset: ${data} }`,
      'model: { arch: unet, norm: group, depth: 2, width: 4 }',
      'segmentation: { classes: [background, disc], binaryThreshold: 127, testFraction: 0.25, valFraction: 0.2, repeat: 4 }',
      'training: { epochs: 4, batchSize: 8, optimizer: { name: adam, lr: 0.01 }, patience: 0, augment: false }',
      `output: ${join(dir, 'run')}`,
    ].join('\n'),
  );
  const train = cli(['train', '--config', cfg, '--json']);
  assert.equal(train.status, 0, train.stderr);
  const last = JSON.parse(train.stdout.trim().split('\n').at(-1)!) as { type: string; meanDice: number; dice: Record<string, number>; splits: { test: number } };
  assert.equal(last.type, 'test');
  assert.equal(last.splits.test, 6);
  assert.ok(last.dice.disc! > 0.7, `test Dice of a bright disc after 4 epochs: ${last.dice.disc}`);
  const model = join(dir, 'run', 'best');
  const ev = cli(['evaluate', '--model', model, '--data', data, '--json']);
  assert.equal(ev.status, 0, ev.stderr);
  const m = JSON.parse(ev.stdout) as { meanDice: number; dice: Record<string, number>; cases: number; perCase: unknown[] };
  assert.equal(m.cases, 24);
  assert.equal(m.perCase.length, 24);
  assert.equal(m.meanDice, m.dice.disc);
  // --cases test: the model's own held-back cases (its stored split), as training scored them.
  const held = cli(['evaluate', '--model', model, '--data', data, '--cases', 'test', '--json']);
  assert.equal(held.status, 0, held.stderr);
  const h = JSON.parse(held.stdout) as { cases: number; meanDice: number };
  assert.equal(h.cases, 6);
  assert.ok(Math.abs(h.meanDice - last.meanDice) < 1e-9, `evaluate --cases test ${h.meanDice} vs train's test ${last.meanDice}`);
  const pred = cli(['predict', '--model', model, '--out', join(dir, 'masks'), join(data, 'images', 'img_003.png')]);
  assert.equal(pred.status, 0, pred.stderr);
  const file = join(dir, 'masks', 'img_003.png');
  const info = await sharp(file).metadata();
  assert.deepEqual([info.width, info.height, info.channels], [16, 16, 1], 'a one-channel (greyscale) PNG like its input');
  const png = await sharp(file).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  assert.ok([...png.data].every((v) => v === 0 || v === 255), 'a binary mask stored as 0/255 like its input');
});

test('on NIfTI volumes: DP-SGD training at a budget runs, and predict writes a label map on the input grid with its affine', () => {
  const dir = mkdtempSync(join(tmpdir(), 'privmed-seg-nii-'));
  const data = join(dir, 'vols');
  writeVolumeFolder(data, 12, [5, 10, 9]);
  const cfg = join(dir, 'seg.yaml');
  writeFileSync(
    cfg,
    [
      'task: segmentation',
      `data: { dataset: ${data} }`,
      'model: { arch: unet, norm: group, depth: 2, width: 4 }',
      'segmentation: { classes: [background, a, b], context: 1 }',
      'training: { epochs: 2, batchSize: 4, optimizer: { name: adam, lr: 0.01 }, patience: 0 }',
      'privacy: { targetEpsilon: 8, delta: 1.0e-5, clipNorm: 1 }',
      `output: ${join(dir, 'run')}`,
    ].join('\n'),
  );
  const train = cli(['train', '--config', cfg, '--json']);
  assert.equal(train.status, 0, train.stderr);
  const last = JSON.parse(train.stdout.trim().split('\n').at(-1)!) as { privacy: { epsilon: number }; meanDice: number };
  assert.ok(last.privacy.epsilon > 0 && last.privacy.epsilon <= 8, `epsilon ${last.privacy.epsilon}`);
  assert.ok(Number.isFinite(last.meanDice));
  // Cases are z-scored on their own: no statistics release, the whole budget is DP-SGD's.
  const ledger = PrivacyLedger.open(join(dir, 'run', 'privacy-ledger.sqlite'));
  assert.deepEqual([...new Set(ledger.entries().map((e) => e.kind))], ['dp-sgd']);
  ledger.close();
  const pred = cli(['predict', '--model', join(dir, 'run', 'best'), '--out', join(dir, 'masks'), data]);
  assert.equal(pred.status, 0, pred.stderr);
  const out = join(dir, 'masks', 'case_000.nii.gz');
  assert.ok(existsSync(out));
  const mask = decodeNifti(readFileSync(out), out);
  const img = decodeNifti(readFileSync(join(data, 'images', 'case_000.nii.gz')), 'img');
  assert.deepEqual(mask.dims.slice(0, 3), [5, 10, 9]);
  assert.deepEqual(mask.affine, img.affine);
  assert.ok(mask.data.every((v) => v === 0 || v === 1 || v === 2));
});
