/**
 * A node that is training is never dropped (#18). One training step can hold
 * a node's thread for longer than the coordinator's heartbeat timeout (a wasm
 * kernel, a DP step or a U-Net batch on a loaded machine: every node was
 * dropped in round 1 of a segmentation run at load 30). Real processes: each
 * fit blocks the node's thread for 3.5 s against a 2 s heartbeat timeout; no
 * node may be lost and every round must have both nodes' updates.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeFederation, type Federation } from './helpers/federation-setup.js';
import { exitCode, killAll, spawnFixture } from './helpers/processes.js';

describe('heartbeats while a node trains (real processes)', () => {
  let fed: Federation | undefined;
  after(async () => {
    await killAll();
    fed?.cleanup();
  });

  it('keeps a node whose training blocks its thread past the heartbeat timeout', async () => {
    fed = await makeFederation(['alice', 'bob']);
    const f = fed;
    const config = f.coordinatorConfig({ rounds: 2, minNodes: 2, heartbeatIntervalSec: 0.2, heartbeatTimeoutSec: 2, roundTimeoutSec: 60, maxRoundAttempts: 1 });
    const coordinator = spawnFixture('coordinator', 'coordinator-main.ts', { config }, f.dir);
    const address = `127.0.0.1:${(await coordinator.waitForEvent((e) => e.type === 'listening', 30_000, 'listening')).port as number}`;
    const nodes = ['alice', 'bob'].map((name, index) => spawnFixture(name, 'node-main.ts', { config: f.nodeConfig(name, address), index, blockMs: 3500 }, f.dir));
    const result = await coordinator.waitForEvent((e) => e.type === 'RESULT', 120_000, 'the run result');
    const lost = coordinator.events.filter((e) => e.type === 'node-lost');
    assert.deepEqual(lost, [], 'no node lost while training');
    assert.equal(result.status, 'completed', JSON.stringify(result));
    const completed = coordinator.events.filter((e) => e.type === 'round-completed');
    assert.deepEqual(completed.map((e) => [e.round, e.attempt]), [[1, 1], [2, 1]], 'each round completed at its first attempt');
    for (const n of nodes) assert.equal(await exitCode(n, 30_000), 0, n.stderr());
  });
});
