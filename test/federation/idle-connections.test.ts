/**
 * Issue #18 item 7: idle TCP connections that never start a TLS handshake must
 * not lock honest nodes out.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { startCoordinator } from '../../src/federation/coordinator/run-coordinator.js';
import { CoordinatorClient } from '../../src/federation/node/coordinator-client.js';
import { makeFederation, type Federation } from './helpers/federation-setup.js';
import { nodeCredentials } from './helpers/raw-client.js';

describe('idle connections without a handshake (in-process coordinator, mutual TLS)', () => {
  let fed: Federation;
  before(async () => {
    fed = await makeFederation(['eve']);
  });
  after(() => fed.cleanup());

  it('an honest node joins while 600 idle connections are open', async () => {
    const config = fed.coordinatorConfig({ database: join(fed.dir, 'idle.db'), rounds: 1, minNodes: 1, heartbeatTimeoutSec: 30 });
    const weights = [{ name: 'dense/kernel', shape: [4, 4], data: new Float32Array(16).fill(0.25) }];
    const stop = new AbortController();
    const handle = await startCoordinator(config, { log: false, initialWeights: weights, signal: stop.signal });
    const sockets: Socket[] = [];
    try {
      await Promise.all(Array.from({ length: 600 }, () => new Promise<void>((resolve) => {
        const s = connect(handle.port, '127.0.0.1', () => resolve());
        s.on('error', () => resolve());
        sockets.push(s);
      })));
      const eve = new CoordinatorClient(`127.0.0.1:${handle.port}`, nodeCredentials(fed.pkiDir, 'eve'), 4 << 20, 10_000);
      try {
        const session = await eve.join('eve', 'test');
        assert.ok(session.sessionId);
      } finally {
        eve.close();
      }
    } finally {
      for (const s of sockets) s.destroy();
      stop.abort();
      await handle.finished.catch(() => undefined);
    }
  });
});
