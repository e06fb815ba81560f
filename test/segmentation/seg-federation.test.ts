import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseWith } from '../../src/common/config-file.js';
import { SimulationSchema } from '../../src/simulation/config.js';
import { simulate } from '../../src/simulation/simulate.js';
import { writeVolumeFolder } from './fixtures.js';

test('a 3-site SecAgg federation of real processes trains a U-Net on NIfTI volumes and scores the held-back cases', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'privmed-seg-fed-'));
  const data = join(dir, 'vols');
  writeVolumeFolder(data, 15, [5, 12, 12]);
  const lines: string[] = [];
  const cfg = parseWith(SimulationSchema, {
    task: 'segmentation',
    sites: 3,
    data: { dataset: data, partition: { seed: 3 } },
    model: { arch: 'unet', norm: 'group', depth: 2, width: 4 },
    segmentation: { classes: ['background', 'a', 'b'], testFraction: 0.2, valFraction: 0.25, repeat: 4 },
    training: { batchSize: 4, optimizer: { name: 'adam', lr: 0.01 }, augment: false },
    federation: { rounds: 2, minNodes: 3, aggregation: 'secagg', evaluate: { every: 1, metric: 'meanDice', mode: 'max' } },
    output: join(dir, 'run'),
  });
  const r = await simulate(cfg, { onLine: (source, line) => lines.push(`${source}: ${line}`) });
  assert.equal(r.status, 'completed', lines.join('\n'));
  assert.ok(r.segmentation, 'the held-back cases are scored');
  assert.equal(r.segmentation.n, 3, '20% of 15 cases');
  assert.equal(r.segmentation.dice.length, 2);
  assert.ok(r.segmentation.dice.every((d) => d >= 0 && d <= 1));
  assert.ok(Number.isFinite(r.segmentation.meanDice));
  assert.ok(existsSync(join(dir, 'run', 'best', 'model.json')));
  const meta = JSON.parse(readFileSync(join(dir, 'run', 'best', 'privmed.json'), 'utf8')) as { segmentation?: { patch: number[] } };
  assert.deepEqual(meta.segmentation?.patch, [12, 12]);
});
