/**
 * The charts the commands write: `privmed train` leaves learning curves in its
 * output folder, `privmed evaluate --plots DIR` writes ROC, confusion matrix
 * and calibration. Each SVG is well-formed and each PNG a real PNG of twice
 * the SVG's size (density 144).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { makeMedMnistNpz } from '../fixtures/npz-writer.js';
import { allText, findAll, parseXml } from './helpers/xml.js';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const privmed = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8', timeout: 240_000 });

async function checkChart(dir: string, name: string): Promise<ReturnType<typeof parseXml>> {
  const svg = parseXml(readFileSync(join(dir, `${name}.svg`), 'utf8'));
  const png = readFileSync(join(dir, `${name}.png`));
  assert.deepEqual([...png.subarray(0, 8)], PNG_MAGIC, `${name}.png is a PNG`);
  const meta = await sharp(png).metadata();
  assert.deepEqual([meta.format, meta.width, meta.height], ['png', Number(svg.attrs.width) * 2, Number(svg.attrs.height) * 2], name);
  return svg;
}

test('privmed train writes learning curves; privmed evaluate --plots writes ROC, confusion and calibration charts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'privmed-plots-'));
  const npz = join(dir, 'tiny.npz');
  writeFileSync(npz, makeMedMnistNpz(48, 8));
  const output = join(dir, 'run');
  writeFileSync(
    join(dir, 'run.yaml'),
    [
      `data: { dataset: ${JSON.stringify(npz)} }`,
      'model: { arch: small-cnn, norm: group }',
      'training: { epochs: 2, batchSize: 16, augment: false, optimizer: { lr: 0.01 }, schedule: { name: constant } }',
      `output: ${JSON.stringify(output)}`,
      'backend: wasm',
    ].join('\n'),
  );
  const train = privmed('train', '--config', join(dir, 'run.yaml'), '--json');
  assert.equal(train.status, 0, train.stderr);
  const curves = await checkChart(output, 'learning-curves');
  assert.equal(findAll(curves, 'path').length, 4, 'training and validation loss, validation AUC and MCC');
  assert.equal(findAll(curves, 'circle').length, 8, 'two epochs per series');

  const plots = join(dir, 'plots');
  const evaluate = privmed('evaluate', '--model', join(output, 'best'), '--data', npz, '--plots', plots, '--json');
  assert.equal(evaluate.status, 0, evaluate.stderr);
  const result = JSON.parse(evaluate.stdout.trim().split('\n').at(-1)!) as { auc: number; plots: string[] };
  assert.deepEqual(result.plots.map((p) => p.slice(plots.length + 1)).sort(), ['calibration.png', 'calibration.svg', 'confusion.png', 'confusion.svg', 'roc.png', 'roc.svg']);
  const roc = await checkChart(plots, 'roc');
  assert.match(allText(roc), new RegExp(`AUC ${Number(result.auc.toFixed(4))}\\b`), 'the legend carries the AUC the command printed');
  const confusion = await checkChart(plots, 'confusion');
  assert.equal(findAll(confusion, 'rect').filter((r) => r.attrs.class === 'cell').length, 4);
  const calibration = await checkChart(plots, 'calibration');
  assert.ok(findAll(calibration, 'circle').length >= 1);
  console.log(`charts written to ${output} and ${plots}`);
});
