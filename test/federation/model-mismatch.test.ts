/**
 * Issue #18 item 2: a run whose model is not the nodes' (a forged initial
 * model, or nodes of another architecture) used to make honest nodes exit
 * with "expected 13 weight tensors, got 1" while the coordinator waited. Now
 * each node refuses the task with the reason and stays connected, charges
 * nothing, and the coordinator ends the run with the nodes' reasons.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../src/engine/backend.js';
import { startCoordinator } from '../../src/federation/coordinator/run-coordinator.js';
import { runNode, type NodeEvent } from '../../src/federation/node/run-node.js';
import { PrivacyLedger } from '../../src/accounting/index.js';
import { makeFederation, type Federation } from './helpers/federation-setup.js';
import { tinyDpTrainer } from './helpers/dp-trainer.js';
import { readRun } from './helpers/run-db.js';

describe('a model that is not the nodes\' (in-process federation, mutual TLS)', () => {
  let fed: Federation;
  before(async () => {
    await initBackend('wasm');
    fed = await makeFederation(['alice', 'bob']);
  });
  after(() => fed.cleanup());

  it('nodes refuse the fit with the mismatch, stay connected and charge nothing; the run fails with their reasons', async () => {
    const database = join(fed.dir, 'forged.db');
    const config = fed.coordinatorConfig({ database, rounds: 1, minNodes: 2, minAvailableNodes: 2, maxRoundAttempts: 1, heartbeatTimeoutSec: 10, fit: { localEpochs: 1 } });
    const forged = [{ name: 'dense/kernel', shape: [1], data: Float32Array.of(0.5) }];
    const handle = await startCoordinator(config, { log: false, initialWeights: forged });
    const stop = new AbortController();
    const events: Record<string, NodeEvent[]> = { alice: [], bob: [] };
    const nodes = ['alice', 'bob'].map((name, i) =>
      runNode(fed.nodeConfig(name, `127.0.0.1:${handle.port}`), tinyDpTrainer(fed.dir, name, i), { log: false, signal: stop.signal, onEvent: (e) => events[name]!.push(e) }).then(
        () => null,
        (e: Error) => e,
      ),
    );
    let result;
    try {
      result = await handle.finished;
    } finally {
      stop.abort();
    }
    const ends = await Promise.all(nodes);
    assert.deepEqual(ends, [null, null], 'no node crashed');
    assert.equal(result.status, 'failed');
    assert.match(result.message, /the coordinator's model does not match this node's \(expected 13 tensors, got 1\)/);
    const { results } = readRun(database);
    assert.deepEqual(results.filter((r) => r.phase === 'fit').map((r) => r.status).sort(), ['rejected', 'rejected']);
    for (const name of ['alice', 'bob']) {
      assert.ok(events[name]!.some((e) => e.type === 'submitted' && e.kind === 'fit' && !e.accepted), `${name} said why`);
      assert.ok(!events[name]!.some((e) => e.type === 'reconnecting'), `${name} stayed connected`);
      const ledger = join(fed.dir, `${name}-ledger.sqlite`);
      if (existsSync(ledger)) {
        const l = PrivacyLedger.open(ledger, { mustExist: true });
        assert.equal(l.count(), 0, `${name} charged nothing`);
        l.close();
      }
    }
  });
});
