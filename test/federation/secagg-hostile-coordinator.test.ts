/**
 * An active coordinator against SecAgg+ (#18 item 8), with real processes
 * over mutual TLS: the real coordinator with one hook that substitutes its
 * own mask key for bob's in the key broadcast alice receives. Every key now
 * carries its node's signature under its mTLS certificate, so alice refuses
 * the round before using the key (no share is encrypted for, and no mask
 * agreed with, the coordinator's key) and says why; the round fails instead
 * of completing with an update the coordinator could unmask.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeFederation, type Federation } from './helpers/federation-setup.js';
import { exitCode, killAll, spawnFixture } from './helpers/processes.js';
import { readRun } from './helpers/run-db.js';

const NODES = ['alice', 'bob', 'charlie'];

describe('a coordinator that substitutes a SecAgg+ public key (real processes)', () => {
  let fed: Federation | undefined;
  after(async () => {
    await killAll();
    fed?.cleanup();
  });

  it('is refused by the honest node it lies to, with the reason, and the round fails', async () => {
    fed = await makeFederation(NODES);
    const dir = fed.dir;
    const config = fed.coordinatorConfig({
      rounds: 1,
      minNodes: 3,
      minAvailableNodes: 3,
      maxRoundAttempts: 1,
      aggregation: 'secagg',
      secagg: { clip: 8, stageTimeoutSec: 15 },
      roundTimeoutSec: 30,
      waitForNodesTimeoutSec: 60,
    });
    const coordinator = spawnFixture('coordinator', 'hostile-coordinator-main.ts', { config, victim: 'alice', target: 'bob' }, dir);
    const address = `127.0.0.1:${(await coordinator.waitForEvent((e) => e.type === 'listening', 30_000, 'listening')).port as number}`;
    const nodes = NODES.map((name, index) =>
      spawnFixture(name, 'secagg-node-main.ts', { config: fed!.nodeConfig(name, address), index, trainSize: 120 + 60 * index, recordDir: dir }, dir),
    );
    await coordinator.waitForEvent((e) => e.type === 'substituted', 60_000, 'the substitution');
    // The run fails (minNodes 3, one attempt): the coordinator exits 1 with the reason.
    assert.equal(await exitCode(coordinator, 90_000), 1, coordinator.stderr());
    assert.match(coordinator.stderr(), /run failed: round 1 failed 1 times; last: 2 valid updates, need 3: alice rejected/);
    for (const n of nodes) assert.equal(await exitCode(n, 15_000), 0, n.stderr());

    // alice refused at the share-keys stage, naming bob and the check that failed.
    const alice = nodes[0]!;
    assert.match(alice.stderr(), /refusing secure aggregation stage 'secagg\/share-keys': secure aggregation: the keys relayed for node \d+: not signed by bob \(a substituted key/);
    const { run, results } = readRun(config.database as string);
    assert.equal(run.status, 'failed');
    const aliceFit = results.find((r) => r.node === 'alice' && r.phase === 'fit')!;
    assert.equal(aliceFit.status, 'rejected');
    assert.match(aliceFit.message!, /^secagg\/share-keys: the node refused: secure aggregation: the keys relayed for node \d+: not signed by bob/);
    // bob and charlie were not lied to and saw nothing wrong with the keys.
    for (const n of nodes.slice(1)) assert.doesNotMatch(n.stderr(), /refusing secure aggregation/);
    const failed = coordinator.events.find((e) => e.type === 'round-failed') as { reason: string } | undefined;
    assert.ok(failed, 'the round failed');
  });
});
