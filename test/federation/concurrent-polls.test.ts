/**
 * Issue #18 item 7: 300 concurrent GetTask calls on one session used to stream
 * the same task 300 times. A newer poll of a session now supersedes the open
 * A task's weights now go out to its node at most once a second: the other
 * polls get WAIT with the time to retry, and a node whose stream broke gets
 * the task again after that.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startCoordinator } from '../../src/federation/coordinator/run-coordinator.js';
import { CoordinatorClient } from '../../src/federation/node/coordinator-client.js';
import { makeFederation, type Federation } from './helpers/federation-setup.js';
import { nodeCredentials } from './helpers/raw-client.js';

describe('many concurrent task polls of one session (in-process coordinator, mutual TLS)', () => {
  let fed: Federation;
  before(async () => {
    fed = await makeFederation(['eve']);
  });
  after(() => fed.cleanup());

  it('streams the task at most once to 30 simultaneous polls; a later retry gets it again', async () => {
    const config = fed.coordinatorConfig({ database: join(fed.dir, 'polls.db'), rounds: 1, minNodes: 1, heartbeatTimeoutSec: 30 });
    const weights = [{ name: 'dense/kernel', shape: [256, 256], data: new Float32Array(256 * 256).fill(0.25) }];
    const stop = new AbortController();
    const handle = await startCoordinator(config, { log: false, initialWeights: weights, signal: stop.signal });
    const eve = new CoordinatorClient(`127.0.0.1:${handle.port}`, nodeCredentials(fed.pkiDir, 'eve'), 4 << 20, 20_000);
    try {
      const session = await eve.join('eve', 'test');
      const limits = { chunkBytes: session.chunkBytes, maxUpdateBytes: Number(session.maxUpdateBytes) };
      // Let the round post eve's fit task first, then poll 30 times at once.
      let first = await eve.getTask(session.sessionId, limits);
      for (let i = 0; i < 20 && first.kind === 'wait'; i++) first = await eve.getTask(session.sessionId, limits);
      assert.equal(first.kind, 'fit');
      const outcomes = await Promise.all(
        Array.from({ length: 30 }, () => eve.getTask(session.sessionId, limits).then((t) => t.kind, () => 'cut')),
      );
      const fits = outcomes.filter((k) => k === 'fit').length;
      assert.ok(fits <= 1, `the task was streamed ${fits} more times: ${outcomes.join(' ')}`);
      assert.ok(outcomes.filter((k) => k === 'wait').length >= 29, outcomes.join(' '));
      await new Promise((r) => setTimeout(r, 1100));
      assert.equal((await eve.getTask(session.sessionId, limits)).kind, 'fit', 'a retry after the interval gets the task');
    } finally {
      eve.close();
      stop.abort();
      await handle.finished.catch(() => undefined);
    }
  });
});
