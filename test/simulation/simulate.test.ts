import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { parseWith } from '../../src/common/config-file.js';
import { SimulationSchema } from '../../src/simulation/config.js';
import { simulate } from '../../src/simulation/simulate.js';
import { openDatabase } from '../../src/federation/store/sqlite.js';
import { RunStore } from '../../src/federation/store/run-store.js';
import { needData } from '../helpers/data.js';

test('a 2-site non-IID federation of real processes over mutual TLS trains a useful model', async (t) => {
  const file = needData(t, 'pneumoniamnist/pneumoniamnist.npz');
  if (!file) return;
  const out = mkdtempSync(join(tmpdir(), 'privmed-sim-'));
  const lines: string[] = [];
  const cfg = parseWith(SimulationSchema, {
    sites: 2,
    data: { root: dirname(dirname(file)), partition: { kind: 'dirichlet', alpha: 0.5 } },
    model: { arch: 'small-cnn', norm: 'group' },
    training: { batchSize: 64, augment: false },
    federation: { rounds: 1, minNodes: 2, fit: { localEpochs: 1 } },
    output: out,
  });
  const r = await simulate(cfg, { onLine: (source, line) => lines.push(`${source}: ${line}`) });
  assert.equal(r.status, 'completed', lines.join('\n'));
  assert.equal(r.bestRound, 1);
  assert.ok(r.test && r.test.n === 624);
  assert.ok(r.test.auc > 0.8, `test AUC ${r.test.auc}`);
  assert.ok(lines.some((l) => /listening on 127\.0\.0\.1:\d+ \(mutual TLS\)/.test(l)), 'mutual TLS');
  assert.ok(existsSync(join(out, 'best', 'model.json')));
  assert.ok(existsSync(join(out, 'federation.sqlite')));
  // The nodes trained and the test split was scored with the exchanged normalisation, which the saved model carries.
  const db = openDatabase(join(out, 'federation.sqlite'), { readonly: true });
  let stored;
  try {
    const store = new RunStore(db);
    stored = store.loadStatistics(store.findRun(cfg.runName)!.runId);
  } finally {
    db.close();
  }
  assert.ok(stored && stored.nodes === 2, 'statistics exchanged with both sites');
  assert.ok(stored.mean[0]! > 0.2 && stored.mean[0]! < 0.8 && stored.std[0]! > 0.05 && stored.std[0]! < 0.5, `mean ${stored.mean} std ${stored.std}`);
  const meta = JSON.parse(readFileSync(join(out, 'best', 'privmed.json'), 'utf8')) as { normalisation: { mean: number[]; std: number[] } };
  assert.deepEqual(meta.normalisation, { mean: stored.mean, std: stored.std });
  assert.ok(lines.some((l) => /normalisation exchanged with 2 nodes/.test(l)));
});
