/**
 * DP-SGD at the nodes of a real federation (in-process coordinator and tfjs
 * nodes over mutual TLS): every fit is charged to the node's ledger before it
 * runs, the coordinator's federation ledger (in its own database) charges each
 * contributor once per completed round, a node over budget is refused and
 * left out, and an interrupted round is never charged.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { composeReleases, PrivacyLedger, type ReleaseMechanism } from '../../src/accounting/index.js';
import { initBackend } from '../../src/engine/backend.js';
import { startCoordinator } from '../../src/federation/coordinator/run-coordinator.js';
import type { CoordinatorConfigInput } from '../../src/federation/coordinator/config.js';
import type { FitConfig } from '../../src/site/fit-config.js';
import { runNode } from '../../src/federation/node/run-node.js';
import { TfjsLocalTrainer } from '../../src/site/site-trainer.js';
import { openDatabase } from '../../src/federation/store/sqlite.js';
import { formatRunSummary, summariseRuns } from '../../src/federation/store/run-summary.js';
import { makeFederation, type Federation } from './helpers/federation-setup.js';
import { DP_BATCH, DP_TRAIN_SIZE, tinyDpTrainer } from './helpers/dp-trainer.js';
import { readRun } from './helpers/run-db.js';

const N = DP_TRAIN_SIZE;
const BATCH = DP_BATCH;
const mechanism = (steps: number): ReleaseMechanism => ({ type: 'subsampled-gaussian', noiseMultiplier: 1, sampleRate: BATCH / N, steps, sampling: 'poisson' });
const epsilonAfter = (fits: number) => composeReleases(Array.from({ length: fits }, () => mechanism(4)), 1e-5, 'rdp').epsilon;

function dpTrainer(fed: Federation, node: string, index: number, targetEpsilon?: number, onFit?: (c: FitConfig) => void): TfjsLocalTrainer {
  const trainer = tinyDpTrainer(fed.dir, node, index, targetEpsilon);
  if (!onFit) return trainer;
  const fit = trainer.fit.bind(trainer);
  trainer.fit = (w, c) => (onFit(c), fit(w, c));
  return trainer;
}

/** Coordinator and nodes in this process; the nodes are stopped once the coordinator has ended. */
async function federate(fed: Federation, config: CoordinatorConfigInput, trainers: Record<string, TfjsLocalTrainer>, signal?: AbortSignal) {
  const first = await trainers[Object.keys(trainers)[0]!]!.initialWeights();
  const handle = await startCoordinator(config, { log: false, initialWeights: first, signal });
  const nodesStop = new AbortController();
  const nodes = Object.entries(trainers).map(([name, t]) =>
    runNode(fed.nodeConfig(name, `127.0.0.1:${handle.port}`), t, { log: false, signal: nodesStop.signal }).catch((e: Error) => e),
  );
  try {
    return await handle.finished;
  } finally {
    nodesStop.abort();
    await Promise.all(nodes);
  }
}

const ledgerEntries = (file: string, site?: string) => {
  const ledger = PrivacyLedger.open(file, { mustExist: true });
  try {
    return ledger.entries(site);
  } finally {
    ledger.close();
  }
};

describe('DP-SGD at the nodes (in-process federation, mutual TLS)', () => {
  let fed: Federation;
  before(async () => {
    await initBackend('wasm');
    fed = await makeFederation(['alice', 'bob', 'carol']);
  });
  after(() => fed.cleanup());

  it('charges every fit at the node and every completed round at the coordinator; a node over budget is left out', async () => {
    const database = join(fed.dir, 'budget.db');
    // carol can afford exactly one fit.
    const carolBudget = (epsilonAfter(1) + epsilonAfter(2)) / 2;
    const fits: Record<string, number[]> = { alice: [], bob: [], carol: [] };
    const seen = (node: string) => (c: FitConfig) => fits[node]!.push(c.round);
    // Heartbeats get room: wasm kernels block the shared event loop on a loaded machine.
    const config = fed.coordinatorConfig({ database, rounds: 3, minNodes: 2, minAvailableNodes: 3, heartbeatTimeoutSec: 10, fit: { localEpochs: 1 } });
    const result = await federate(fed, config, {
      alice: dpTrainer(fed, 'alice', 0, undefined, seen('alice')),
      bob: dpTrainer(fed, 'bob', 1, undefined, seen('bob')),
      carol: dpTrainer(fed, 'carol', 2, carolBudget, seen('carol')),
    });
    assert.equal(result.status, 'completed', result.message);

    // One node ledger entry per fit the node ran (a retried round is a second fit, charged again).
    for (const node of ['alice', 'bob']) {
      const own = ledgerEntries(join(fed.dir, `${node}-ledger.sqlite`), node);
      assert.deepEqual(own.map((e) => e.note), fits[node]!.map((r) => `federated round ${r}: 4 steps`));
      assert.ok(own.every((e) => e.kind === 'dp-sgd' && JSON.stringify(e.mechanism) === JSON.stringify(mechanism(4))));
    }
    assert.ok(fits.carol!.length >= 2, 'carol was asked again after her budget was spent');
    assert.equal(ledgerEntries(join(fed.dir, 'carol-ledger.sqlite'), 'carol').length, 1, 'the refused fits were never charged');

    const { results, completed } = readRun(database);
    const counted = (node: string) => completed.filter((c) => results.some((r) => r.round === c.round && r.attempt === c.attempt && r.node === node && r.phase === 'fit' && r.status === 'accepted')).map((c) => c.round);
    const carolFits = results.filter((r) => r.node === 'carol' && r.phase === 'fit');
    assert.equal(carolFits.filter((r) => r.status === 'accepted').length, 1, JSON.stringify(results));
    assert.ok(carolFits.filter((r) => r.status === 'rejected').length >= 1);
    assert.match(carolFits.find((r) => r.status === 'rejected')!.message!, /privacy budget of 'carol' \(epsilon [\d.]+ at delta [\d.e-]+\) would be exceeded by round \d/);
    assert.deepEqual(counted('alice'), [1, 2, 3]);

    const federation = ledgerEntries(database);
    const bySite = (site: string) => federation.filter((e) => e.site === site).map((e) => e.note);
    // The federation ledger: each node once per completed round it contributed to, never for a failed attempt.
    for (const node of ['alice', 'bob', 'carol']) assert.deepEqual(bySite(node), counted(node).map((r) => `federated run 'test-run': round ${r}`));
    assert.deepEqual(bySite('alice'), [1, 2, 3].map((r) => `federated run 'test-run': round ${r}`));

    // The reported epsilon grows with the rounds and matches the accountant.
    const db = openDatabase(database, { readonly: true });
    try {
      const eps = (db.prepare(`SELECT metrics_json FROM node_results WHERE node = 'alice' AND phase = 'fit' AND status = 'accepted' ORDER BY round, attempt`).all() as { metrics_json: string }[]).map(
        (r) => (JSON.parse(r.metrics_json) as { epsilon: number }).epsilon,
      );
      assert.equal(eps.length, fits.alice!.length);
      eps.forEach((e, i) => assert.ok(Math.abs(e - epsilonAfter(i + 1)) < 1e-9, `fit ${i + 1}: ${e} vs ${epsilonAfter(i + 1)}`));
      assert.ok(eps[0]! < eps[1]! && eps[1]! < eps[2]!, `epsilon grows: ${eps.join(', ')}`);
      // privmed status: per-node epsilon from the federation ledger, and the max.
      const privacy = summariseRuns(db)[0]!.privacy!;
      assert.deepEqual(privacy.nodes.map((n) => [n.node, n.rounds]), [['alice', 3], ['bob', counted('bob').length], ['carol', 1]]);
      assert.ok(Math.abs(privacy.nodes[2]!.epsilon - epsilonAfter(1)) < 1e-9 && Math.abs(privacy.maxEpsilon - epsilonAfter(3)) < 1e-9);
      assert.match(formatRunSummary(summariseRuns(db)[0]!), /privacy \(federation ledger, delta 0.00001, rdp\): max epsilon [\d.]+\n    alice: epsilon/);
    } finally {
      db.close();
    }
  });

  it('never charges an interrupted round at the coordinator, and a resumed run charges each round once', async () => {
    const database = join(fed.dir, 'resume.db');
    const config = fed.coordinatorConfig({ database, rounds: 2, minNodes: 2, allowedNodes: ['alice', 'bob'], heartbeatTimeoutSec: 10, fit: { localEpochs: 1 } });
    const stop = new AbortController();
    // The coordinator is stopped while round 2 trains (after alice's fit was charged at alice).
    const first = await federate(fed, config, {
      alice: dpTrainer(fed, 'alice', 0, undefined, (c) => c.round === 2 && stop.abort()),
      bob: dpTrainer(fed, 'bob', 1),
    }, stop.signal);
    assert.equal(first.status, 'stopped');
    assert.equal(readRun(database).completed.length, 1);
    assert.deepEqual(ledgerEntries(database).map((e) => `${e.site} ${e.note}`).sort(), ["alice federated run 'test-run': round 1", "bob federated run 'test-run': round 1"]);

    const second = await federate(fed, config, { alice: dpTrainer(fed, 'alice', 0), bob: dpTrainer(fed, 'bob', 1) });
    assert.equal(second.status, 'completed', second.message);
    const notes = ledgerEntries(database).map((e) => `${e.site} ${e.note}`).sort();
    assert.deepEqual(notes, ['alice', 'bob'].flatMap((n) => [1, 2].map((r) => `${n} federated run 'test-run': round ${r}`)));
  });
});
