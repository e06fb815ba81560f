/**
 * Issue #18 item 2, coordinator side: `initialModel:` in the coordinator
 * config loads the weights that start round 1 from a saved model folder, with
 * the names nodes use, so no node's INIT answer decides the federation's model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/engine/backend.js';
import { buildModel } from '../../src/models/build.js';
import { saveModel } from '../../src/models/io.js';
import type { ModelSpec } from '../../src/models/spec.js';
import { initWeights } from '../../src/training/init.js';
import { readModelWeights, readWeights } from '../../src/training/weights.js';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

test('a saved model folder gives the same named weights a node would send', async () => {
  await initBackend('cpu');
  const spec: ModelSpec = { arch: 'small-cnn', inputShape: [8, 8, 1], numClasses: 2, norm: 'group' };
  const model = buildModel(spec);
  initWeights(model, 5);
  const dir = join(mkdtempSync(join(tmpdir(), 'privmed-initial-')), 'model');
  await saveModel(dir, model, { spec, classes: ['a', 'b'], normalisation: { mean: [0.5], std: [0.25] } });
  const loaded = await readModelWeights(dir);
  const direct = readWeights(model);
  assert.deepEqual(loaded.map((w) => [w.name, w.shape]), direct.map((w) => [w.name, w.shape]));
  loaded.forEach((w, i) => assert.deepEqual(w.data, direct[i]!.data));
  model.dispose();
});

test('privmed coordinator with an initialModel that is not a model folder stops before serving, naming it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'privmed-initial-cli-'));
  const cfg = join(dir, 'coordinator.yaml');
  writeFileSync(cfg, `address: 127.0.0.1:0\ninsecure: true\nallowedNodes: [a, b]\ndatabase: ${join(dir, 'c.db')}\nrunName: r\nrounds: 1\nminNodes: 1\ninitialModel: nowhere\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'coordinator', '--config', cfg, '--events'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /privmed: error: .*nowhere.*(not a privmed model folder|no such file)/);
});

test('a declared model: round 0 is built by the coordinator with the names a node sends; a saved folder of another architecture is refused', async () => {
  await initBackend('cpu');
  const { parseCoordinatorConfig } = await import('../../src/federation/coordinator/config.js');
  const { coordinatorInitialWeights } = await import('../../src/cli/commands/coordinator-model.js');
  const dir = mkdtempSync(join(tmpdir(), 'privmed-declared-'));
  const base = { insecure: true, allowedNodes: ['a', 'b'], database: join(dir, 'c.db'), runName: 'r', rounds: 1 };
  const declared = { arch: 'small-cnn', inputShape: [8, 8, 1], numClasses: 2, norm: 'group', seed: 3 };
  const config = parseCoordinatorConfig({ ...base, model: declared });
  const built = await coordinatorInitialWeights(config, join(dir, 'c.yaml'));
  const node = buildModel({ arch: 'small-cnn', inputShape: [8, 8, 1], numClasses: 2, norm: 'group' });
  initWeights(node, 3);
  const direct = readWeights(node);
  assert.deepEqual(built!.map((w) => [w.name, w.shape]), direct.map((w) => [w.name, w.shape]));
  built!.forEach((w, i) => assert.deepEqual(w.data, direct[i]!.data, 'seeded: the same weights every start'));
  node.dispose();

  const other = buildModel({ arch: 'small-cnn', inputShape: [8, 8, 1], numClasses: 3, norm: 'group' });
  initWeights(other, 1);
  await saveModel(join(dir, 'three-classes'), other, { spec: { arch: 'small-cnn', inputShape: [8, 8, 1], numClasses: 3, norm: 'group' }, classes: ['a', 'b', 'c'], normalisation: { mean: [0], std: [1] } });
  other.dispose();
  await assert.rejects(
    coordinatorInitialWeights(parseCoordinatorConfig({ ...base, model: declared, initialModel: 'three-classes' }), join(dir, 'c.yaml')),
    /initialModel .*three-classes is not the declared model \(small-cnn\): tensor \d+ is '.*' \[.*3\], expected '.*' \[.*2\]/,
  );
});
