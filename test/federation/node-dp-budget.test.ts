/**
 * Budgets, not noise multipliers: a DP node given only targetEpsilon
 * calibrates its noise at its first fit to the rounds the coordinator plans,
 * ends the run within (and close to) its budget, and its spent epsilon
 * reaches `privmed status` under secure aggregation too, where updates and
 * counts are hidden. A node with a fixed noise that cannot afford the plan is
 * told so before it trains.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { composeReleases, PrivacyLedger } from '../../src/accounting/index.js';
import { initBackend } from '../../src/engine/backend.js';
import { startCoordinator } from '../../src/federation/coordinator/run-coordinator.js';
import type { CoordinatorConfigInput } from '../../src/federation/coordinator/config.js';
import { runNode } from '../../src/federation/node/run-node.js';
import { openDatabase } from '../../src/federation/store/sqlite.js';
import { formatRunSummary, summariseRuns } from '../../src/federation/store/run-summary.js';
import type { TfjsLocalTrainer } from '../../src/site/site-trainer.js';
import { formatSitePrivacy, sitePrivacySummary } from '../../src/site/privacy-summary.js';
import { makeFederation, type Federation } from './helpers/federation-setup.js';
import { tinyDpTrainer } from './helpers/dp-trainer.js';

async function federate(fed: Federation, config: CoordinatorConfigInput, trainers: Record<string, TfjsLocalTrainer>) {
  const first = await trainers[Object.keys(trainers)[0]!]!.initialWeights();
  const handle = await startCoordinator(config, { log: false, initialWeights: first });
  const stop = new AbortController();
  const nodes = Object.entries(trainers).map(([name, t]) => runNode(fed.nodeConfig(name, `127.0.0.1:${handle.port}`), t, { log: false, signal: stop.signal }).catch((e: Error) => e));
  try {
    return await handle.finished;
  } finally {
    stop.abort();
    await Promise.all(nodes);
  }
}

function ledgerOf(fed: Federation, node: string) {
  const ledger = PrivacyLedger.open(join(fed.dir, `${node}-ledger.sqlite`), { mustExist: true });
  try {
    return ledger.entries(node).map((e) => e.mechanism);
  } finally {
    ledger.close();
  }
}

describe('DP budgets at the nodes', () => {
  let fed: Federation;
  before(async () => {
    await initBackend('wasm');
    fed = await makeFederation(['alice', 'bob']);
  });
  after(() => fed.cleanup());

  it('calibrates each node to its own budget over the planned rounds; status shows each epsilon under secure aggregation', async () => {
    const database = join(fed.dir, 'calibrated.db');
    const logs: Record<string, string[]> = { alice: [], bob: [] };
    const budgets = { alice: 3, bob: 1.5 };
    const config = fed.coordinatorConfig({ database, rounds: 3, minNodes: 2, heartbeatTimeoutSec: 30, roundTimeoutSec: 120, fit: { localEpochs: 1 }, aggregation: 'secagg', secagg: { clip: 8, stageTimeoutSec: 60 } });
    const result = await federate(fed, config, {
      alice: tinyDpTrainer(fed.dir, 'alice', 0, budgets.alice, { calibrate: true, log: (l) => logs.alice!.push(l) }),
      bob: tinyDpTrainer(fed.dir, 'bob', 1, budgets.bob, { calibrate: true, log: (l) => logs.bob!.push(l) }),
    });
    assert.equal(result.status, 'completed', result.message);
    for (const node of ['alice', 'bob'] as const) {
      const ms = ledgerOf(fed, node);
      const sgd = ms.filter((m) => m.type === 'subsampled-gaussian');
      assert.equal(sgd.length, 3, `${node}: one DP-SGD charge per round`);
      const sigmas = new Set(sgd.map((m) => m.type === 'subsampled-gaussian' && m.noiseMultiplier));
      assert.equal(sigmas.size, 1, `${node}: one calibrated noise for the whole run`);
      const spent = composeReleases(ms, 1e-5, 'rdp').epsilon;
      // Within the budget, and not far below it: the calibration used the whole plan.
      assert.ok(spent <= budgets[node] && spent > 0.97 * budgets[node], `${node}: spent ${spent} of ${budgets[node]}`);
      assert.match(logs[node]!.join('\n'), new RegExp(`noise multiplier [\\d.]+ calibrated: 3 rounds of 4 DP-SGD steps at sample rate 0.25 keep ${node} within epsilon ${budgets[node]}`));
      const summary = sitePrivacySummary(join(fed.dir, `${node}-ledger.sqlite`), node, 1e-5, 'rdp')!;
      assert.ok(Math.abs(summary.epsilon - spent) < 1e-12);
      assert.match(formatSitePrivacy(summary), new RegExp(`^${node}: epsilon [\\d.]+ at delta 0.00001 \\(rdp accountant\\); DP-SGD \\(subsampled Gaussian, poisson sampling at rate 0.25, noise multiplier [\\d.]+\\): 12 steps`));
    }
    // The smaller budget needs more noise.
    const sigmaOf = (node: string) => ledgerOf(fed, node).find((m) => m.type === 'subsampled-gaussian')!;
    assert.ok((sigmaOf('bob') as { noiseMultiplier: number }).noiseMultiplier > (sigmaOf('alice') as { noiseMultiplier: number }).noiseMultiplier);

    const db = openDatabase(database, { readonly: true });
    try {
      const run = summariseRuns(db)[0]!;
      // Secure aggregation hid the mechanisms (no coordinator privacy: section, nothing charged there); the nodes' reports came through.
      assert.equal(run.privacy, null);
      const reported = run.reportedPrivacy!;
      assert.deepEqual(reported.nodes.map((n) => n.node), ['alice', 'bob']);
      for (const n of reported.nodes) {
        const spent = composeReleases(ledgerOf(fed, n.node), 1e-5, 'rdp').epsilon;
        // Rounded up to 3 significant digits, never down.
        assert.ok(n.epsilon >= spent && n.epsilon <= spent * 1.01, `${n.node}: reported ${n.epsilon}, ledger ${spent}`);
      }
      assert.equal(reported.maxEpsilon, Math.max(...reported.nodes.map((n) => n.epsilon)));
      assert.match(formatRunSummary(run), /privacy \(each node's own ledger, as reported\): max epsilon [\d.]+\n    alice: epsilon [\d.]+ at delta 0.00001\n    bob: epsilon/);
    } finally {
      db.close();
    }
  });

  it('tells a node with a fixed noise before it trains that its budget covers fewer rounds than planned', async () => {
    const database = join(fed.dir, 'fixed.db');
    const lines: string[] = [];
    // At noise 1, q = 0.25, 4 steps a round: one round costs about epsilon 2.1, so a budget of 3 covers one of four.
    const config = fed.coordinatorConfig({ database, rounds: 4, minNodes: 1, minAvailableNodes: 2, heartbeatTimeoutSec: 10, fit: { localEpochs: 1 } });
    await federate(fed, config, {
      alice: tinyDpTrainer(fed.dir, 'alice-fixed', 0, 3, { log: (l) => lines.push(l) }),
      bob: tinyDpTrainer(fed.dir, 'bob-fixed', 1),
    });
    const warning = lines.find((l) => l.startsWith('WARNING'));
    assert.ok(warning, lines.join('\n'));
    assert.match(warning, /the 4 planned rounds at noise multiplier 1 would bring alice-fixed to epsilon [\d.]+, over its budget of 3: it trains (\d) round\(s\), then refuses\. To train them all, ask for at most \1 rounds/);
    const affordable = Number(/trains (\d) round/.exec(warning)![1]);
    const ledger = PrivacyLedger.open(join(fed.dir, 'alice-fixed-ledger.sqlite'), { mustExist: true });
    try {
      assert.equal(ledger.entries('alice-fixed').length, affordable, 'it trained exactly the rounds the warning said');
    } finally {
      ledger.close();
    }
  });
});
