/**
 * Mutual TLS admission, against a real coordinator process: only nodes whose
 * certificate chains to the coordinator's CA AND whose CN is on its
 * allow-list get in, and a session cannot be used with another node's
 * certificate. The nodes run in this test process, over real sockets.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { PrivmedError } from '../../src/common/errors.js';
import { initPki, nodeCertPaths, pkiPaths } from '../../src/net/certs/pki-files.js';
import { runNode } from '../../src/federation/node/run-node.js';
import { CoordinatorClient } from '../../src/federation/node/coordinator-client.js';
import { startCoordinator } from '../../src/federation/coordinator/run-coordinator.js';
import { makeFederation, type Federation } from './helpers/federation-setup.js';
import { killAll, spawnFixture, type Child } from './helpers/processes.js';
import { LogisticTrainer } from './fixtures/logistic-trainer.js';
import { nodeData } from './fixtures/synthetic-data.js';

const trainer = () => new LogisticTrainer(nodeData(0).train, nodeData(0).val);

function credentialsOf(fed: Federation, name: string): grpc.ChannelCredentials {
  const p = pkiPaths(fed.pkiDir);
  const n = nodeCertPaths(fed.pkiDir, name);
  return grpc.credentials.createSsl(readFileSync(p.caCert), readFileSync(n.key), readFileSync(n.cert));
}

describe('mutual TLS admission (real coordinator process)', () => {
  let fed: Federation;
  let coordinator: Child;
  let address: string;
  let otherPki: string;

  before(async () => {
    // mallory holds a valid certificate of this CA but is not on the allow-list.
    fed = await makeFederation(['alice', 'bob'], ['mallory']);
    otherPki = join(fed.dir, 'other-pki');
    await initPki({ outDir: otherPki, nodes: ['alice'] });
    coordinator = spawnFixture('coordinator', 'coordinator-main.ts', { config: fed.coordinatorConfig({ waitForNodesTimeoutSec: 120 }) }, fed.dir);
    const listening = await coordinator.waitForEvent((e) => e.type === 'listening', 20_000, 'listening');
    address = `127.0.0.1:${listening.port as number}`;
  });
  after(async () => {
    await killAll();
    fed?.cleanup();
  });

  it('refuses a node whose certificate comes from another CA', async () => {
    const config = fed.nodeConfig('alice', address, { reconnectTimeoutSec: 1 });
    const foreign = nodeCertPaths(otherPki, 'alice');
    config.tls = { ...config.tls!, cert: foreign.cert, key: foreign.key }; // trusts the right CA, presents the wrong one
    await assert.rejects(runNode(config, trainer(), { log: false }), (e: unknown) => {
      assert.ok(e instanceof PrivmedError);
      assert.match(e.message, /cannot reach the coordinator at .* TLS handshake failed/);
      return true;
    });
    assert.equal(coordinator.events.filter((e) => e.type === 'node-joined').length, 0);
  });

  it("tells a node that it does not trust the coordinator's certificate", async () => {
    const config = fed.nodeConfig('alice', address, { reconnectTimeoutSec: 1 }, otherPki);
    await assert.rejects(runNode(config, trainer(), { log: false }), /cannot reach the coordinator .*: the coordinator's certificate is not trusted/);
    assert.equal(coordinator.events.filter((e) => e.type === 'node-joined').length, 0);
  });

  it('refuses a node with a valid certificate that is not on the allow-list', async () => {
    await assert.rejects(runNode(fed.nodeConfig('mallory', address), trainer(), { log: false }), /the coordinator refused node 'mallory': node 'mallory' is not on the coordinator's allow-list/);
    await coordinator.waitForEvent((e) => e.type === 'access-denied' && /mallory/.test(String(e.reason)), 5000, 'the refusal to be reported');
    assert.equal(coordinator.events.filter((e) => e.type === 'node-joined').length, 0);
  });

  it("does not let one node use another node's session", async () => {
    const alice = new CoordinatorClient(address, credentialsOf(fed, 'alice'), 4 << 20, 10_000);
    const bob = new CoordinatorClient(address, credentialsOf(fed, 'bob'), 4 << 20, 10_000);
    try {
      const session = await alice.join('alice', 'test');
      await coordinator.waitForEvent((e) => e.type === 'node-joined' && e.node === 'alice', 5000, 'alice to join');
      await assert.rejects(bob.heartbeat(session.sessionId), (e: grpc.ServiceError) => {
        assert.equal(e.code, grpc.status.PERMISSION_DENIED);
        assert.match(e.details, /certificate 'bob' does not own the session of node 'alice'/);
        return true;
      });
      // The claimed name in Join is ignored under TLS: bob joins as bob.
      await bob.join('alice', 'test');
      await coordinator.waitForEvent((e) => e.type === 'node-joined' && e.node === 'bob', 5000, 'bob to join as bob');
    } finally {
      alice.close();
      bob.close();
    }
  });

  it('refuses plaintext connections', async () => {
    const plain = new CoordinatorClient(address, grpc.credentials.createInsecure(), 4 << 20, 3000);
    try {
      await assert.rejects(plain.join('alice', 'test'), (e: grpc.ServiceError) => e.code === grpc.status.UNAVAILABLE);
    } finally {
      plain.close();
    }
  });

  it('refuses to start a node whose certificate is for another name', async () => {
    const config = fed.nodeConfig('alice', address);
    config.tls = { ...config.tls!, cert: nodeCertPaths(fed.pkiDir, 'bob').cert };
    await assert.rejects(runNode(config, trainer(), { log: false }), /certificate is for 'bob', but this node is configured as 'alice'/);
  });
});

describe('insecure mode', () => {
  it('is refused off loopback; on loopback it warns, and still applies the allow-list', async () => {
    const database = join('/tmp', `privmed-insecure-${process.pid}.db`);
    const base = { insecure: true as const, allowedNodes: ['alice'], minNodes: 1, runName: 'r', rounds: 1, database, finishGraceSec: 2 };
    await assert.rejects(startCoordinator({ ...base, address: '0.0.0.0:0' }, { log: false }), /insecure mode is only allowed on the loopback interface/);
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const handle = await startCoordinator({ ...base, address: '127.0.0.1:0', waitForNodesTimeoutSec: 30 }, { log: false });
      const address = `127.0.0.1:${handle.port}`;
      const node = (name: string) => runNode({ name, coordinator: address, insecure: true, reconnectTimeoutSec: 5 }, trainer(), { log: false });
      await assert.rejects(node('mallory'), /node 'mallory' is not on the coordinator's allow-list/);
      const [result] = await Promise.all([handle.finished, node('alice')]);
      assert.equal(result.status, 'completed');
      await handle.close();
      await new Promise((r) => setImmediate(r));
      assert.ok(warnings.some((w) => /coordinator: INSECURE mode/.test(w.message)), 'the coordinator warned');
      assert.ok(warnings.some((w) => /node alice: INSECURE mode/.test(w.message)), 'the node warned');
    } finally {
      process.off('warning', onWarning);
      const { rmSync } = await import('node:fs');
      for (const suffix of ['', '-wal', '-shm']) rmSync(database + suffix, { force: true });
    }
  });
});
