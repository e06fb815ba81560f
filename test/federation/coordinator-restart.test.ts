/**
 * kill -9 of the coordinator, with real processes: once in the middle of a
 * round, once right after a round was committed. Restarted with the same
 * command, it resumes after the last completed round; the nodes ride out the
 * outage and rejoin; every round is completed exactly once and nothing from
 * the interrupted attempt is counted.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../../src/federation/store/sqlite.js';
import { summariseRuns } from '../../src/federation/store/run-summary.js';
import { makeFederation, type Federation } from './helpers/federation-setup.js';
import { freePort } from './helpers/network.js';
import { exitCode, killAll, spawnFixture, type Child } from './helpers/processes.js';
import { readRun } from './helpers/run-db.js';
import { scoreModel } from './fixtures/logistic-trainer.js';
import { testData } from './fixtures/synthetic-data.js';

const NODES = ['alice', 'bob', 'charlie'];

describe('coordinator crash and resume (real processes)', () => {
  let fed: Federation | undefined;
  after(async () => {
    await killAll();
    fed?.cleanup();
  });

  it('resumes at the last completed round after kill -9, without losing or double-counting', async () => {
    fed = await makeFederation(NODES);
    const address = `127.0.0.1:${await freePort()}`;
    const config = fed.coordinatorConfig({ address, rounds: 5, strategy: { name: 'fedadam', eta: 0.3 } });
    const start = (label: string): Child => spawnFixture(label, 'coordinator-main.ts', { config }, fed!.dir);

    const first = start('coordinator-1');
    await first.waitForEvent((e) => e.type === 'listening', 20_000, 'listening');
    const nodes = NODES.map((name, index) => spawnFixture(name, 'node-main.ts', { config: fed!.nodeConfig(name, address), index, fitDelayMs: 300 }, fed!.dir));

    // 1. Killed while the nodes train in round 3.
    await first.waitForEvent((e) => e.type === 'round-completed' && e.round === 2, 30_000, 'round 2');
    await nodes[0]!.waitForEvent((e) => e.type === 'task' && e.kind === 'fit' && e.round === 3, 20_000, 'round 3 training');
    await first.kill9();

    const second = start('coordinator-2');
    const resumed = await second.waitForEvent((e) => e.type === 'run-started', 20_000, 'the run to resume');
    assert.equal(resumed.resumedAfterRound, 2);

    // 2. Killed right after committing round 4.
    await second.waitForEvent((e) => e.type === 'round-completed' && e.round === 4, 30_000, 'round 4');
    await second.kill9();

    const third = start('coordinator-3');
    const resumedAgain = await third.waitForEvent((e) => e.type === 'run-started', 20_000, 'the run to resume again');
    assert.equal(resumedAgain.resumedAfterRound, 4);
    assert.equal(await exitCode(third, 30_000), 0, third.stderr());
    for (const n of nodes) assert.equal(await exitCode(n, 15_000), 0, n.stderr());
    assert.ok(nodes.every((n) => n.events.some((e) => e.type === 'joined' && e.rejoined === true)), 'every node rejoined');

    const { run, rounds, results, completed, checkpoint, checkpointRounds } = readRun(config.database as string);
    assert.equal(run.status, 'completed');
    assert.deepEqual(completed.map((r) => r.round), [1, 2, 3, 4, 5], 'each round completed exactly once');
    const round3 = rounds.filter((r) => r.round === 3).map((r) => [r.attempt, r.status]);
    assert.deepEqual(round3, [[1, 'interrupted'], [2, 'completed']]);
    // The second kill may land just before or just after round 5 started; either way nothing else failed.
    assert.ok(rounds.every((r) => r.status === 'completed' || r.status === 'interrupted'), JSON.stringify(rounds));
    assert.ok(rounds.filter((r) => r.status === 'interrupted').every((r) => r.round === 3 || r.round === 5), JSON.stringify(rounds));
    for (const r of completed) {
      const counted = results.filter((x) => x.round === r.round && x.attempt === r.attempt && x.phase === 'fit' && x.status === 'accepted');
      assert.equal(counted.length, 3, `round ${r.round}: three counted updates`);
      assert.equal(r.fitMetrics.numSamples, 720, `round ${r.round}: samples counted once`);
    }
    assert.deepEqual(checkpointRounds.includes(5), true);
    assert.notEqual(checkpoint!.strategyState, null, 'FedAdam moments are stored with the checkpoint');
    assert.ok(scoreModel(checkpoint!.weights, testData()).accuracy >= 0.9);

    // What privmed status reports agrees.
    const db = openDatabase(config.database as string, { readonly: true });
    try {
      const [summary] = summariseRuns(db);
      assert.equal(summary!.roundsCompleted, 5);
      assert.deepEqual(summary!.rounds.find((r) => r.round === 3)!.attempts, 2);
      assert.deepEqual(summary!.rounds.find((r) => r.round === 3)!.fit.accepted.sort(), NODES);
    } finally {
      db.close();
    }
  });
});
