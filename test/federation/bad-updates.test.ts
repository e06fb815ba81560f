/**
 * Faulty and abusive updates against a real coordinator process: a node
 * sending NaN, a node sending a wrong shape, and a raw client sending
 * oversized messages and an abandoned stream. Each is refused with the node
 * named, and every round still completes with the good nodes.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { CoordinatorClient } from '../../src/federation/node/coordinator-client.js';
import { MessageTooLargeError } from '../../src/federation/wire/limits.js';
import { manifestOf, type NamedTensor } from '../../src/federation/wire/tensors.js';
import { makeFederation, type Federation } from './helpers/federation-setup.js';
import { exitCode, killAll, spawnFixture } from './helpers/processes.js';
import { nodeCredentials, rawUpload } from './helpers/raw-client.js';
import { readRun } from './helpers/run-db.js';

const MAX_MESSAGE = 128 * 1024;

describe('bad updates (real processes)', () => {
  let fed: Federation | undefined;
  after(async () => {
    await killAll();
    fed?.cleanup();
  });

  it('refuses NaN, wrong shapes and oversized messages, naming the node, and the rounds go on', async () => {
    fed = await makeFederation(['alice', 'bob', 'charlie', 'dave', 'eve']);
    const config = fed.coordinatorConfig({
      rounds: 2,
      minNodes: 2,
      minAvailableNodes: 5,
      heartbeatTimeoutSec: 20, // eve (this test) sends no heartbeats
      limits: { maxMessageBytes: MAX_MESSAGE, chunkBytes: 16 * 1024, maxUpdateBytes: 1024 * 1024 },
    });
    const coordinator = spawnFixture('coordinator', 'coordinator-main.ts', { config }, fed.dir);
    const address = `127.0.0.1:${(await coordinator.waitForEvent((e) => e.type === 'listening', 20_000, 'listening')).port as number}`;
    const good = ['alice', 'bob'].map((name, index) => spawnFixture(name, 'node-main.ts', { config: fed!.nodeConfig(name, address), index }, fed!.dir));
    const charlie = spawnFixture('charlie', 'node-main.ts', { config: fed.nodeConfig('charlie', address), index: 2, misbehave: 'nan' }, fed.dir);
    const dave = spawnFixture('dave', 'node-main.ts', { config: fed.nodeConfig('dave', address), index: 2, misbehave: 'wrong-shape' }, fed.dir);

    // eve is this test process, speaking the protocol by hand.
    const credentials = nodeCredentials(fed.pkiDir, 'eve');
    const eve = new CoordinatorClient(address, credentials, 4 << 20, 20_000);
    try {
      const session = await eve.join('eve', 'test');
      const limits = { chunkBytes: session.chunkBytes, maxUpdateBytes: Number(session.maxUpdateBytes) };
      const task1 = await nextTask(eve, session.sessionId, limits);
      assert.equal(task1.kind, 'fit');
      const model = task1.tensors!;
      const header = (manifest: ReturnType<typeof manifestOf>) => ({ header: { sessionId: session.sessionId, taskId: task1.taskId, numSamples: 10, metrics: {}, manifest, payload: Buffer.alloc(0) } });

      // 1. A single message over the coordinator's message limit: gRPC refuses it (the node may try again).
      const big = rawUpload(address, credentials);
      big.upload.write(header(manifestOf(model)));
      big.upload.write({ data: Buffer.alloc(MAX_MESSAGE + 1) });
      big.upload.end();
      await assert.rejects(big.upload.reply, (e: grpc.ServiceError) => e.code === grpc.status.RESOURCE_EXHAUSTED && /larger than max/.test(e.details));
      big.close();

      // 2. A stream abandoned half-way leaves nothing behind: the task is still open afterwards.
      const half = rawUpload(address, credentials);
      half.upload.write(header(manifestOf(model)));
      half.upload.write({ data: Buffer.alloc(4) });
      await new Promise((r) => setTimeout(r, 200));
      half.upload.cancel();
      await assert.rejects(half.upload.reply);
      half.close();

      // 3. An update declaring more bytes than the coordinator accepts: refused before any data, with the limit named.
      const huge = rawUpload(address, credentials);
      huge.upload.write(header(manifestOf([{ name: 'dense/kernel', shape: [1024, 1024] }])));
      await assert.rejects(huge.upload.reply, (e: grpc.ServiceError) => {
        assert.equal(e.code, grpc.status.RESOURCE_EXHAUSTED);
        assert.match(e.details, /the update is 4194304 bytes, over the limit of 1048576 bytes/);
        return true;
      });
      huge.close();

      // Round 2: the node-side check stops an oversized update before it is sent; a sound update is accepted.
      const task2 = await nextTask(eve, session.sessionId, limits);
      assert.equal(task2.round, 2);
      const oversized: NamedTensor[] = [{ name: 'x', shape: [300_000], data: new Float32Array(300_000) }];
      await assert.rejects(eve.submitUpdate(session.sessionId, task2.taskId, { tensors: oversized, numSamples: 1, metrics: {} }, limits), MessageTooLargeError);
      const reply = await eve.submitUpdate(session.sessionId, task2.taskId, { tensors: task2.tensors!, numSamples: 50, metrics: {} }, limits);
      assert.deepEqual(reply, { accepted: true, reason: '' });
      // The evaluation of round 2, and the end of the run.
      for (;;) {
        const t = await eve.getTask(session.sessionId, limits);
        if (t.kind === 'finished') break;
        if (t.kind === 'evaluate') await eve.submitEvaluation({ sessionId: session.sessionId, taskId: t.taskId, numSamples: 1, metrics: { tp: 1, fp: 0, tn: 0, fn: 0 } });
      }
    } finally {
      eve.close();
    }

    assert.equal(await exitCode(coordinator, 30_000), 0, coordinator.stderr());
    for (const n of [...good, charlie, dave]) assert.equal(await exitCode(n, 15_000), 0, n.stderr());

    const { run, results } = readRun(config.database as string);
    assert.equal(run.status, 'completed');
    const fit = (round: number, node: string) => results.find((r) => r.round === round && r.node === node && r.phase === 'fit')!;
    for (const round of [1, 2]) {
      assert.equal(fit(round, 'alice').status, 'accepted');
      assert.equal(fit(round, 'bob').status, 'accepted');
      assert.equal(fit(round, 'charlie').status, 'rejected');
      assert.match(fit(round, 'charlie').message!, /tensor 'dense\/kernel' has a non-finite value \(NaN\) at index 0/);
      assert.equal(fit(round, 'dave').status, 'rejected');
      assert.match(fit(round, 'dave').message!, /does not match the global model: tensor 'dense\/kernel' has shape \[9,1\], expected \[8,1\]/);
    }
    assert.equal(fit(1, 'eve').status, 'rejected');
    assert.match(fit(1, 'eve').message!, /over the limit of 1048576 bytes/);
    assert.equal(fit(2, 'eve').status, 'accepted');
    // The coordinator says who was refused, and the nodes were told why.
    assert.ok(coordinator.events.some((e) => e.type === 'result' && e.node === 'charlie' && e.status === 'rejected'));
    assert.ok(charlie.events.some((e) => e.type === 'submitted' && e.accepted === false && /non-finite/.test(String(e.reason))));
  });
});

/** The next fit task for eve; evaluations on the way are answered (a node must answer every task it gets). */
async function nextTask(client: CoordinatorClient, sessionId: string, limits: { chunkBytes: number; maxUpdateBytes: number }) {
  for (let i = 0; i < 20; i++) {
    const t = await client.getTask(sessionId, limits);
    assert.notEqual(t.kind, 'finished');
    if (t.kind === 'fit') return t;
    if (t.kind === 'evaluate') await client.submitEvaluation({ sessionId, taskId: t.taskId, numSamples: 1, metrics: { tp: 1, fp: 0, tn: 0, fn: 0 } });
  }
  throw new Error('no fit task for eve');
}
