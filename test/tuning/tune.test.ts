import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { parseWith } from '../../src/common/config-file.js';
import { randomTrial } from '../../src/tuning/space.js';
import { applyTrial, tune, TuneSchema } from '../../src/tuning/tune.js';
import { needData } from '../helpers/data.js';

const space = { lr: { logUniform: [1e-4, 1e-2] as [number, number] }, batchSize: { choice: [32, 64] }, localEpochs: { choice: [1, 2] } };

test('random trials are reproducible, inside the space, and differ between trials', () => {
  const a = randomTrial(space, 3, 0);
  assert.deepEqual(randomTrial(space, 3, 0), a);
  assert.notDeepEqual(randomTrial(space, 3, 1), a);
  for (let k = 0; k < 50; k++) {
    const t = randomTrial(space, 3, k);
    assert.ok((t.lr as number) >= 1e-4 && (t.lr as number) <= 1e-2);
    assert.ok([32, 64].includes(t.batchSize as number));
  }
});

test('a trial overrides exactly the sampled settings of the base simulation', () => {
  const base = parseWith(TuneSchema, { space }).base;
  const sim = applyTrial(base, { lr: 0.005, localEpochs: 2, proximalMu: 0.1 }, '/tmp/x');
  assert.equal(sim.training.optimizer.lr, 0.005);
  assert.equal(sim.training.batchSize, base.training.batchSize);
  assert.deepEqual(sim.federation.fit, { localEpochs: 2 });
  assert.deepEqual(sim.federation.strategy, { name: 'fedprox', mu: 0.1 });
  assert.equal(sim.output, '/tmp/x');
});

test('tune runs federations, records each trial once, and resumes with the next trial', async (t) => {
  const file = needData(t, 'pneumoniamnist/pneumoniamnist.npz');
  if (!file) return;
  const output = mkdtempSync(join(tmpdir(), 'privmed-tune-'));
  const raw = {
    trials: 1,
    space: { lr: { logUniform: [5e-4, 3e-3] } },
    base: {
      sites: 2,
      data: { root: dirname(dirname(file)) },
      model: { arch: 'small-cnn' },
      training: { batchSize: 64, augment: false },
      federation: { rounds: 1, minNodes: 2 },
    },
    output,
  };
  const first = await tune(parseWith(TuneSchema, raw), { onLine: () => undefined });
  assert.equal(first.results.length, 1);
  assert.equal(first.results[0]!.status, 'completed');
  const ran: number[] = [];
  const second = await tune(parseWith(TuneSchema, { ...raw, trials: 2 }), { onLine: () => undefined, onTrial: (r) => ran.push(r.trial) });
  assert.deepEqual(ran, [1], 'only the new trial runs');
  assert.equal(second.results.length, 2);
  assert.ok(second.best && second.best.score !== null);
  assert.equal(readFileSync(join(output, 'trials.jsonl'), 'utf8').trim().split('\n').length, 2);
});

test('a search under DP is refused before any trial runs: its releases could not be charged', async () => {
  const out = mkdtempSync(join(tmpdir(), 'privmed-tune-dp-'));
  const cfg = parseWith(TuneSchema, { space, output: out, base: { privacy: { targetEpsilon: 4 } } });
  await assert.rejects(tune(cfg), /config key 'base\.privacy': a hyperparameter search cannot run under DP/);
  assert.throws(() => readFileSync(join(out, 'trials.jsonl')), /ENOENT/);
});
