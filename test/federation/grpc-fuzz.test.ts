/**
 * gRPC fuzzing from an admitted node (#18). mallory holds a valid node
 * certificate and sends, seeded, thousands of malformed or out-of-order
 * messages to every RPC: raw bytes that are no protobuf, Joins with hostile
 * names, Heartbeats and polls with forged sessions, uploads with data before
 * the header, two headers, forged task ids, impossible manifests and ledger
 * heads, non-finite metrics, and junk answers to the real tasks (every stage
 * of the round) she is given. Meanwhile alice and bob run the federation.
 * The coordinator must never crash or answer with an internal error, its
 * database must stay consistent (integrity check, one completed attempt per
 * round), and the honest nodes must finish the run. Plain and SecAgg rounds.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { Rng } from '../../src/common/rng.js';
import { openDatabase } from '../../src/federation/store/sqlite.js';
import { coordinatorService } from '../../src/federation/wire/proto.js';
import type { UpdateChunk } from '../../src/federation/wire/messages.js';
import { makeFederation, type Federation } from './helpers/federation-setup.js';
import { exitCode, killAll, spawnFixture } from './helpers/processes.js';
import { nodeCredentials } from './helpers/raw-client.js';

const METHODS = ['Join', 'GetTask', 'SubmitUpdate', 'SubmitEvaluation', 'Heartbeat'] as const;
const PATH = (m: string) => `/privmed.v1.Coordinator/${m}`;
const identity = (b: Buffer) => b;
/** Messages per protocol; two protocols make the 10,000. */
const MESSAGES = 5_000;
const IN_FLIGHT = 24;

type Typed = {
  Join(r: object, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r?: { sessionId: string }) => void): void;
  Heartbeat(r: object, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null) => void): void;
  SubmitEvaluation(r: object, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null) => void): void;
  GetTask(r: object, o: grpc.CallOptions): grpc.ClientReadableStream<{ header?: { taskId: string; kind: string; stage: string } }>;
  SubmitUpdate(o: grpc.CallOptions, cb: (e: grpc.ServiceError | null) => void): grpc.ClientWritableStream<UpdateChunk>;
  close(): void;
};

function junkText(rng: Rng): string {
  const pool = ['', 'alice', 'round 99 completed', '\u001b[2J', '\u0000', 'x'.repeat(5000), '../../etc', '%s%n', '\ud800', 'mallory'];
  return rng.int(3) === 0 ? String.fromCharCode(...Array.from({ length: rng.int(40) }, () => rng.int(0x3000))) : pool[rng.int(pool.length)]!;
}

function junkNumber(rng: Rng): number {
  const pool = [0, -1, 1, 2 ** 53, 2 ** 64, -(2 ** 63), Number.NaN, Infinity, -Infinity, 1e300, 0.5, 7];
  return pool[rng.int(pool.length)]!;
}

function junkManifest(rng: Rng) {
  const dims = () => Array.from({ length: rng.int(4) }, () => [0, 1, 3, -2, 2 ** 31, 13][rng.int(6)]!);
  return { tensors: Array.from({ length: rng.int(3) }, () => ({ name: junkText(rng), shape: dims(), dtype: ['float32', 'int64', ''][rng.int(3)]! })), totalBytes: [0, 4, 2 ** 40, 12][rng.int(4)]! };
}

function junkHeader(rng: Rng, sessionId: string, taskIds: string[]) {
  return {
    sessionId: rng.int(4) ? sessionId : junkText(rng),
    taskId: taskIds.length && rng.int(2) ? taskIds[rng.int(taskIds.length)]! : junkText(rng),
    numSamples: Math.abs(junkNumber(rng)) % 2 ** 53 || 0,
    metrics: Object.fromEntries(Array.from({ length: rng.int(4) }, () => [junkText(rng).slice(0, 64), junkNumber(rng)])),
    manifest: rng.int(2) ? junkManifest(rng) : null,
    payload: Buffer.from(Array.from({ length: rng.int(64) }, () => rng.int(256))),
    ledgerHead: rng.int(3) ? null : { entries: rng.int(2) ? 2 ** 50 : rng.int(5), hash: rng.int(2) ? 'ab'.repeat(32) : junkText(rng) },
  };
}

interface Tally {
  sent: number;
  codes: Map<number, number>;
  internal: string[];
}

async function fuzz(address: string, credentials: grpc.ChannelCredentials, seed: number, budget: number, tally: Tally): Promise<void> {
  const rng = new Rng(seed);
  const raw = new grpc.Client(address, credentials, { 'grpc.max_send_message_length': 8 << 20 });
  const typed = new (coordinatorService())(address, credentials) as unknown as Typed;
  let sessionId = '';
  const taskIds: string[] = [];
  const deadline = () => ({ deadline: Date.now() + 5_000 });
  const done = (e: grpc.ServiceError | null) => {
    const code = e?.code ?? 0;
    tally.codes.set(code, (tally.codes.get(code) ?? 0) + 1);
    // gRPC's own answer to bytes that are no protobuf is INTERNAL too, before any handler runs: not ours.
    if ((code === grpc.status.INTERNAL || code === grpc.status.UNKNOWN) && e!.details !== 'Error deserializing request') tally.internal.push(e!.details);
  };
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const finish = (e: grpc.ServiceError | null) => {
        done(e);
        resolve();
      };
      tally.sent++;
      switch (rng.int(9)) {
        case 0: {
          // Bytes that are no protobuf (or a random one), to any method.
          const m = METHODS[rng.int(METHODS.length)]!;
          const bytes = Buffer.from(Array.from({ length: rng.int(200) }, () => rng.int(256)));
          if (m === 'GetTask') {
            const call = raw.makeServerStreamRequest(PATH(m), identity, identity, bytes, deadline());
            call.on('data', () => undefined).on('error', finish).on('end', () => finish(null));
          } else if (m === 'SubmitUpdate') {
            const call = raw.makeClientStreamRequest(PATH(m), identity, identity, deadline(), (e) => finish(e));
            for (let i = rng.int(4); i >= 0; i--) call.write(bytes);
            call.end();
          } else raw.makeUnaryRequest(PATH(m), identity, identity, bytes, deadline(), (e) => finish(e));
          return;
        }
        case 1:
          typed.Join({ nodeName: junkText(rng), softwareVersion: junkText(rng) }, deadline(), (e, r) => {
            if (r?.sessionId) sessionId = r.sessionId;
            finish(e);
          });
          return;
        case 2:
          typed.Heartbeat({ sessionId: rng.int(3) ? sessionId : junkText(rng) }, deadline(), finish);
          return;
        case 3:
        case 4: {
          // Polls (with her real session most of the time): real tasks come back and get junk answers below.
          const call = typed.GetTask({ sessionId: rng.int(4) ? sessionId : junkText(rng) }, { deadline: Date.now() + 3_000 });
          call.on('data', (m) => {
            if (m.header?.taskId) taskIds.push(m.header.taskId);
            if (taskIds.length > 50) taskIds.shift();
          });
          call.on('error', finish).on('end', () => finish(null));
          return;
        }
        case 5:
        case 6:
        case 7: {
          // Uploads out of order: data first, two headers, a header then junk data, or nothing at all.
          const call = typed.SubmitUpdate(deadline(), finish);
          const order = rng.int(4);
          const header = () => ({ header: junkHeader(rng, sessionId, taskIds) });
          const data = () => ({ data: Buffer.from(Array.from({ length: rng.int(64) }, () => rng.int(256))) });
          const parts = order === 0 ? [data(), header()] : order === 1 ? [header(), header()] : order === 2 ? [header(), data(), data()] : [header()];
          for (const p of parts) call.write(p as UpdateChunk);
          if (rng.int(10) === 0) call.cancel();
          else call.end();
          return;
        }
        default:
          typed.SubmitEvaluation(
            { sessionId: rng.int(3) ? sessionId : junkText(rng), taskId: taskIds.length ? taskIds[rng.int(taskIds.length)]! : junkText(rng), numSamples: rng.int(2 ** 31), metrics: { tp: junkNumber(rng), [junkText(rng).slice(0, 32)]: junkNumber(rng) } },
            deadline(),
            finish,
          );
      }
    });
  try {
    // Her own valid session first, so that real tasks reach her.
    await new Promise<void>((resolve) => typed.Join({ nodeName: 'mallory', softwareVersion: 'fuzz' }, deadline(), (e, r) => ((sessionId = r?.sessionId ?? ''), done(e), resolve())));
    let issued = 0;
    const lanes = Array.from({ length: IN_FLIGHT }, async () => {
      while (issued < budget) {
        issued++;
        await one();
      }
    });
    await Promise.all(lanes);
  } finally {
    raw.close();
    typed.close();
  }
}

function checkDatabase(database: string, rounds: number): void {
  const db = openDatabase(database, { readonly: true });
  try {
    assert.equal((db.prepare('PRAGMA integrity_check').all() as { integrity_check: string }[])[0]!.integrity_check, 'ok');
    const completed = db.prepare(`SELECT round, count(*) AS n FROM rounds WHERE status = 'completed' GROUP BY round ORDER BY round`).all() as { round: number; n: number }[];
    assert.deepEqual(completed, Array.from({ length: rounds }, (_, i) => ({ round: i + 1, n: 1 })), 'one completed attempt per round');
  } finally {
    db.close();
  }
}

describe('gRPC fuzzing by an admitted node (real processes)', () => {
  let fed: Federation | undefined;
  after(async () => {
    await killAll();
    fed?.cleanup();
  });

  for (const [index, protocol] of (['plain', 'secagg'] as const).entries()) {
    it(`${protocol}: ${MESSAGES} seeded malformed or out-of-order messages, no crash, consistent state, honest nodes finish`, async () => {
      fed ??= await makeFederation(['alice', 'bob', 'mallory']);
      const f = fed;
      const database = `${f.dir}/fuzz-${protocol}.db`;
      const rounds = 2;
      const config = f.coordinatorConfig({
        database,
        rounds,
        minNodes: 2,
        minAvailableNodes: 3,
        maxRoundAttempts: 5,
        roundTimeoutSec: 20,
        waitForNodesTimeoutSec: 300,
        pollTimeoutSec: 0.2, // her polls of an empty board return at once
        heartbeatTimeoutSec: 5,
        ...(protocol === 'secagg' ? { aggregation: 'secagg', secagg: { clip: 8, stageTimeoutSec: 8 } } : {}),
      });
      const coordinator = spawnFixture('coordinator', 'coordinator-main.ts', { config }, f.dir);
      const address = `127.0.0.1:${(await coordinator.waitForEvent((e) => e.type === 'listening', 30_000, 'listening')).port as number}`;
      const tally: Tally = { sent: 0, codes: new Map(), internal: [] };
      const credentials = nodeCredentials(f.pkiDir, 'mallory');
      // A first half before any honest node (no round yet: everything is out of order), the rest during the rounds.
      await fuzz(address, credentials, 1000 + index, MESSAGES / 2, tally);
      const honest = ['alice', 'bob'].map((name, i) => spawnFixture(name, 'node-main.ts', { config: f.nodeConfig(name, address), index: i }, f.dir));
      await fuzz(address, credentials, 2000 + index, MESSAGES / 2, tally);
      const result = await coordinator.waitForEvent((e) => e.type === 'RESULT', 180_000, 'the run result');
      assert.equal(result.status, 'completed', JSON.stringify(result));
      assert.equal(await exitCode(coordinator, 30_000), 0, coordinator.stderr().slice(-3000));
      for (const n of honest) assert.equal(await exitCode(n, 30_000), 0, n.stderr().slice(-2000));
      assert.ok(tally.sent >= MESSAGES, `${tally.sent} messages sent`);
      assert.deepEqual(tally.internal, [], 'no internal errors');
      assert.doesNotMatch(coordinator.stderr(), /internal error/);
      checkDatabase(database, rounds);
      process.stdout.write(`# ${protocol}: ${tally.sent} calls, status codes ${JSON.stringify(Object.fromEntries(tally.codes))}\n`);
    });
  }
});
