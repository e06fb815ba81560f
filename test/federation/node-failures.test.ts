/**
 * Nodes that die, with real processes: one killed (by itself, SIGKILL) in the
 * middle of uploading its update, one killed with kill -9 in the middle of
 * training. Each round completes with the remaining nodes, nothing of the
 * dead node's half upload is used or stored, and the restarted node rejoins
 * and takes part in the following rounds.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeFederation, type Federation } from './helpers/federation-setup.js';
import { exitCode, killAll, spawnFixture } from './helpers/processes.js';
import { readRun } from './helpers/run-db.js';
import { scoreModel } from './fixtures/logistic-trainer.js';
import { testData } from './fixtures/synthetic-data.js';

const NODES = ['alice', 'bob', 'charlie'];

describe('node failures (real processes)', () => {
  let fed: Federation | undefined;
  after(async () => {
    await killAll();
    fed?.cleanup();
  });

  it('completes rounds without a node that died mid-upload or mid-training, and lets it rejoin', async () => {
    fed = await makeFederation(NODES);
    // The dead nodes stop beating altogether, so any timeout finds them; 6 s (not the helpers' 1.5 s) is one the live
    // processes cannot miss on a loaded machine (at load 16-17 the partial uploader, beating from its main thread, did).
    const config = fed.coordinatorConfig({ rounds: 4, minNodes: 2, minAvailableNodes: 3, heartbeatTimeoutSec: 6 });
    const coordinator = spawnFixture('coordinator', 'coordinator-main.ts', { config }, fed.dir);
    const address = `127.0.0.1:${(await coordinator.waitForEvent((e) => e.type === 'listening', 20_000, 'listening')).port as number}`;
    const nodeSpec = (name: string, index: number, extra: object = {}) => ({ config: fed!.nodeConfig(name, address), index, ...extra });
    const alice = spawnFixture('alice', 'node-main.ts', nodeSpec('alice', 0), fed.dir);
    const bob = spawnFixture('bob', 'node-main.ts', nodeSpec('bob', 1), fed.dir);

    // Round 1: charlie dies half-way through its upload.
    const uploader = spawnFixture('charlie-uploader', 'partial-uploader.ts', nodeSpec('charlie', 2), fed.dir);
    await uploader.waitForEvent((e) => e.type === 'partial-upload-sent', 20_000, 'the partial upload');
    assert.equal(await exitCode(uploader, 5000), null, 'killed by SIGKILL');
    await coordinator.waitForEvent((e) => e.type === 'round-completed' && e.round === 1, 30_000, 'round 1 to complete without charlie');

    // Round 2: charlie is back, but is killed with -9 while training.
    const slow = spawnFixture('charlie-slow', 'node-main.ts', nodeSpec('charlie', 2, { fitDelayMs: 30_000 }), fed.dir);
    await slow.waitForEvent((e) => e.type === 'task' && e.kind === 'fit' && e.round === 2, 20_000, 'charlie to start training in round 2');
    await slow.kill9();
    await coordinator.waitForEvent((e) => e.type === 'round-completed' && e.round === 2, 30_000, 'round 2 to complete without charlie');

    // Rounds 3 and 4 wait for three nodes: charlie restarts and rejoins.
    const charlie = spawnFixture('charlie', 'node-main.ts', nodeSpec('charlie', 2), fed.dir);
    assert.equal(await exitCode(coordinator, 40_000), 0, coordinator.stderr());
    for (const n of [alice, bob, charlie]) assert.equal(await exitCode(n, 15_000), 0, n.stderr());

    const { run, rounds, results, checkpoint } = readRun(config.database as string);
    assert.equal(run.status, 'completed');
    assert.deepEqual(rounds.map((r) => [r.round, r.attempt, r.status]), [[1, 1, 'completed'], [2, 1, 'completed'], [3, 1, 'completed'], [4, 1, 'completed']]);
    const fit = (round: number) => Object.fromEntries(results.filter((r) => r.round === round && r.phase === 'fit').map((r) => [r.node, r.status]));
    assert.deepEqual(fit(1), { alice: 'accepted', bob: 'accepted', charlie: 'dropped' });
    assert.deepEqual(fit(2), { alice: 'accepted', bob: 'accepted', charlie: 'dropped' });
    assert.deepEqual(fit(3), { alice: 'accepted', bob: 'accepted', charlie: 'accepted' });
    assert.deepEqual(fit(4), { alice: 'accepted', bob: 'accepted', charlie: 'accepted' });
    const charlieRound1 = results.find((r) => r.round === 1 && r.node === 'charlie')!;
    assert.equal(charlieRound1.num_samples, null, 'nothing of the half upload was recorded');
    assert.match(charlieRound1.message!, /node left: no heartbeat/);
    // Round 1's model is the average of exactly alice and bob.
    const round1 = coordinator.events.find((e) => e.type === 'round-completed' && e.round === 1) as { fitMetrics: Record<string, number> };
    assert.equal(round1.fitMetrics.numSamples, 480);
    assert.equal(coordinator.events.filter((e) => e.type === 'node-lost' && e.node === 'charlie').length, 2);
    assert.ok(scoreModel(checkpoint!.weights, testData()).accuracy >= 0.9);
  });
});
