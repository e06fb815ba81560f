/**
 * Secure aggregation with real processes and real deaths: five nodes, one
 * SIGKILLed before it sends its masked input, one SIGKILLed after its masked
 * input was accepted (before unmasking). The round completes with exactly
 * the sample-weighted FedAvg of the four nodes whose inputs are in the sum;
 * restarted, the two rejoin and the next round has all five. The
 * coordinator's database and events never hold a node's update or count.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeFederation, type Federation } from './helpers/federation-setup.js';
import { exitCode, killAll, spawnFixture } from './helpers/processes.js';
import { readRun } from './helpers/run-db.js';
import { checkpointOf } from './helpers/secagg-db.js';
import { fedAvgOf, maxAbsDiff, type RecordedFit } from './fixtures/recording-trainer.js';

const NODES = ['alice', 'bob', 'charlie', 'dave', 'erin'];
const TRAIN_SIZES = [120, 180, 240, 300, 360];
const FLOAT32_SLACK = 2 ** -20;

describe('secure aggregation with nodes killed mid-protocol (real processes)', () => {
  let fed: Federation | undefined;
  after(async () => {
    await killAll();
    fed?.cleanup();
  });

  it('completes the round with the weighted FedAvg of the nodes whose masked inputs arrived', async () => {
    fed = await makeFederation(NODES);
    const dir = fed.dir;
    const config = fed.coordinatorConfig({
      rounds: 2,
      minNodes: 3,
      minAvailableNodes: 5,
      aggregation: 'secagg',
      secagg: { clip: 8, stageTimeoutSec: 15 },
      keepCheckpoints: 'all',
      roundTimeoutSec: 30,
      waitForNodesTimeoutSec: 60,
    });
    const coordinator = spawnFixture('coordinator', 'coordinator-main.ts', { config }, dir);
    const address = `127.0.0.1:${(await coordinator.waitForEvent((e) => e.type === 'listening', 30_000, 'listening')).port as number}`;
    const node = (name: string, dieAt?: string) =>
      spawnFixture(name, 'secagg-node-main.ts', { config: fed!.nodeConfig(name, address), index: NODES.indexOf(name), trainSize: TRAIN_SIZES[NODES.indexOf(name)], recordDir: dir, dieAt }, dir);
    const survivors = ['alice', 'bob', 'charlie'].map((name) => node(name));
    const dave = node('dave', 'before-masked-input');
    const erin = node('erin', 'after-masked-input');

    await coordinator.waitForEvent((e) => e.type === 'round-completed' && e.round === 1, 60_000, 'round 1 to complete without dave');
    await dave.waitForEvent((e) => e.type === 'dying', 1000, 'dave to die before masking');
    await erin.waitForEvent((e) => e.type === 'dying', 1000, 'erin to die after masking');
    assert.equal(await exitCode(dave, 5000), null, 'dave was killed by a signal');
    assert.equal(await exitCode(erin, 5000), null, 'erin was killed by a signal');

    // Round 2 waits for five nodes: the two come back.
    const restarted = [node('dave'), node('erin')];
    assert.equal(await exitCode(coordinator, 90_000), 0, coordinator.stderr());
    for (const n of [...survivors, ...restarted]) assert.equal(await exitCode(n, 15_000), 0, n.stderr());

    const { run, rounds, results } = readRun(config.database as string);
    assert.equal(run.status, 'completed');
    assert.deepEqual(rounds.map((r) => [r.round, r.attempt, r.status]), [[1, 1, 'completed'], [2, 1, 'completed']]);
    const fit = (round: number) => Object.fromEntries(results.filter((r) => r.round === round && r.phase === 'fit').map((r) => [r.node, r.status]));
    // erin's masked input is in the sum although it never helped unmask: it counts as a contributor.
    assert.deepEqual(fit(1), { alice: 'accepted', bob: 'accepted', charlie: 'accepted', dave: 'dropped', erin: 'accepted' });
    assert.deepEqual(fit(2), { alice: 'accepted', bob: 'accepted', charlie: 'accepted', dave: 'accepted', erin: 'accepted' });
    assert.match(results.find((r) => r.round === 1 && r.node === 'dave' && r.phase === 'fit')!.message!, /^secagg\/masked-input: /);

    const recorded = (name: string, round: number) => JSON.parse(readFileSync(join(dir, `${name}-round${round}.json`), 'utf8')) as RecordedFit;
    const roundMetrics = (round: number) =>
      (coordinator.events.find((e) => e.type === 'round-completed' && e.round === round) as { fitMetrics: Record<string, number> }).fitMetrics;

    // Round 1: alice, bob, charlie and erin - not dave.
    const m1 = roundMetrics(1);
    assert.equal(m1.secaggDropped, 1);
    assert.equal(m1.nodes, 4);
    assert.equal(m1.numSamples, 120 + 180 + 240 + 360);
    const inSum = ['alice', 'bob', 'charlie', 'erin'].map((n) => recorded(n, 1));
    const round1 = checkpointOf(config.database as string, 1);
    const error1 = maxAbsDiff(round1, fedAvgOf(inSum));
    assert.ok(error1 <= m1.secaggErrorBound! + FLOAT32_SLACK, `round 1: ${error1} from the survivors' FedAvg, bound ${m1.secaggErrorBound}`);
    // Sanity: the comparison can tell the cohorts apart.
    assert.ok(maxAbsDiff(round1, fedAvgOf([...inSum, recorded('dave', 1)])) > 1e-3, 'with dave it would differ');
    assert.ok(maxAbsDiff(round1, fedAvgOf(inSum.slice(0, 3))) > 1e-3, 'without erin it would differ');

    // Round 2: all five again.
    const m2 = roundMetrics(2);
    assert.equal(m2.secaggDropped, 0);
    assert.equal(m2.numSamples, TRAIN_SIZES.reduce((a, b) => a + b));
    const error2 = maxAbsDiff(checkpointOf(config.database as string, 2), fedAvgOf(NODES.map((n) => recorded(n, 2))));
    assert.ok(error2 <= m2.secaggErrorBound! + FLOAT32_SLACK, `round 2: ${error2}, bound ${m2.secaggErrorBound}`);

    // What the coordinator kept: no individual count, no individual weights or update.
    for (const r of results.filter((x) => x.phase === 'fit')) assert.equal(r.num_samples, null, `${r.node} round ${r.round}`);
    const dbFile = config.database as string;
    const dbBytes = Buffer.concat([dbFile, `${dbFile}-wal`].filter(existsSync).map((f) => readFileSync(f)));
    for (const round of [1, 2]) {
      for (const name of NODES) {
        const f = recorded(name, round);
        assert.equal(dbBytes.indexOf(Buffer.from(Float32Array.from(f.weights[0]!).buffer)), -1, `${name}'s round ${round} weights are in the database`);
      }
    }
    for (const e of coordinator.events) {
      if (e.type === 'result' && e.phase === 'fit') assert.ok(!('numSamples' in e) && !('metrics' in e), JSON.stringify(e));
    }
  });
});
