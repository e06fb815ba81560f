/**
 * The blind half of the gRPC fuzzer (test/federation/grpc-fuzz.test.ts):
 * seeded malformed or out-of-order messages to every RPC of the Coordinator
 * service, from an admitted node's certificate, many in flight at once. Raw
 * bytes that are no protobuf, Joins with hostile names, Heartbeats and polls
 * with forged sessions, uploads with data before the header or two headers,
 * forged or stale task ids, impossible manifests and ledger heads,
 * non-finite metrics. The stage-aware half (fuzz-player.ts) shares the
 * node's session and answered task ids through `Mallory`.
 */
import * as grpc from '@grpc/grpc-js';
import { Rng } from '../../../src/common/rng.js';
import { coordinatorService } from '../../../src/federation/wire/proto.js';
import type { UpdateChunk } from '../../../src/federation/wire/messages.js';

const METHODS = ['Join', 'GetTask', 'SubmitUpdate', 'SubmitEvaluation', 'Heartbeat'] as const;
const PATH = (m: string) => `/privmed.v1.Coordinator/${m}`;
const identity = (b: Buffer) => b;

/** What both halves of the fuzzer know about the node they play. */
export interface Mallory {
  sessionId: string;
  /** Task ids she has answered already: junk for them is late, or out of order. */
  answered: string[];
  /**
   * Joins the blind lanes may still send (each replaces her session and
   * drops her open tasks, as a restart does): unlimited before the rounds;
   * during them none (the player restarts her after each of her moves), and
   * the lanes poll with forged sessions only, so that her tasks reach her.
   */
  joinsLeft: number;
}

export interface Tally {
  sent: number;
  codes: Map<number, number>;
  internal: string[];
  joins: number;
}

export function newTally(): Tally {
  return { sent: 0, codes: new Map(), internal: [], joins: 0 };
}

/** Counts one answered call; INTERNAL or UNKNOWN from a handler is a coordinator bug. */
export function count(tally: Tally, e: grpc.ServiceError | null): void {
  const code = e?.code ?? 0;
  // No coordinator there any more (the run is over): that message reached nobody.
  if (code === grpc.status.UNAVAILABLE) tally.sent--;
  tally.codes.set(code, (tally.codes.get(code) ?? 0) + 1);
  // gRPC's own answer to bytes that are no protobuf is INTERNAL too, before any handler runs: not ours.
  if ((code === grpc.status.INTERNAL || code === grpc.status.UNKNOWN) && e!.details !== 'Error deserializing request') tally.internal.push(e!.details);
}

export function junkText(rng: Rng): string {
  const pool = ['', 'alice', 'round 99 completed', '\u001b[2J', '\u0000', 'x'.repeat(5000), '../../etc', '%s%n', '\ud800', 'mallory'];
  return rng.int(3) === 0 ? String.fromCharCode(...Array.from({ length: rng.int(40) }, () => rng.int(0x3000))) : pool[rng.int(pool.length)]!;
}

export function junkNumber(rng: Rng): number {
  const pool = [0, -1, 1, 2 ** 53, 2 ** 64, -(2 ** 63), Number.NaN, Infinity, -Infinity, 1e300, 0.5, 7];
  return pool[rng.int(pool.length)]!;
}

export function junkBytes(rng: Rng, max: number): Buffer {
  return Buffer.from(Array.from({ length: rng.int(max) }, () => rng.int(256)));
}

function junkManifest(rng: Rng) {
  const dims = () => Array.from({ length: rng.int(4) }, () => [0, 1, 3, -2, 2 ** 31, 13][rng.int(6)]!);
  return { tensors: Array.from({ length: rng.int(3) }, () => ({ name: junkText(rng), shape: dims(), dtype: ['float32', 'int64', ''][rng.int(3)]! })), totalBytes: [0, 4, 2 ** 40, 12][rng.int(4)]! };
}

function junkHeader(rng: Rng, sessionId: string, taskIds: readonly string[]) {
  return {
    sessionId: rng.int(4) ? sessionId : junkText(rng),
    taskId: taskIds.length && rng.int(2) ? taskIds[rng.int(taskIds.length)]! : junkText(rng),
    numSamples: Math.abs(junkNumber(rng)) % 2 ** 53 || 0,
    metrics: Object.fromEntries(Array.from({ length: rng.int(4) }, () => [junkText(rng).slice(0, 64), junkNumber(rng)])),
    manifest: rng.int(2) ? junkManifest(rng) : null,
    payload: junkBytes(rng, 64),
    ledgerHead: rng.int(3) ? null : { entries: rng.int(2) ? 2 ** 50 : rng.int(5), hash: rng.int(2) ? 'ab'.repeat(32) : junkText(rng) },
  };
}

type Typed = {
  Join(r: object, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r?: { sessionId: string }) => void): void;
  Heartbeat(r: object, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null) => void): void;
  SubmitEvaluation(r: object, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null) => void): void;
  GetTask(r: object, o: grpc.CallOptions): grpc.ClientReadableStream<unknown>;
  SubmitUpdate(o: grpc.CallOptions, cb: (e: grpc.ServiceError | null) => void): grpc.ClientWritableStream<UpdateChunk>;
  close(): void;
};

export interface LaneOptions {
  seed: number;
  /** Messages to send in all. */
  budget: number;
  inFlight: number;
  /** Stop early (e.g. the run is over); checked before each message. */
  stop?: () => boolean;
}

/** Sends `budget` seeded messages on `inFlight` lanes; resolves when all are answered. */
export async function fuzzLanes(address: string, credentials: grpc.ChannelCredentials, mallory: Mallory, tally: Tally, o: LaneOptions): Promise<void> {
  const rng = new Rng(o.seed);
  const raw = new grpc.Client(address, credentials, { 'grpc.max_send_message_length': 8 << 20 });
  const typed = new (coordinatorService())(address, credentials) as unknown as Typed;
  const deadline = () => ({ deadline: Date.now() + 5_000 });
  const session = () => (rng.int(4) ? mallory.sessionId : junkText(rng));
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      let counted = false;
      // A stream may report both an error and its end: count each call once.
      const finish = (e: grpc.ServiceError | null) => {
        if (counted) return;
        counted = true;
        count(tally, e);
        resolve();
      };
      tally.sent++;
      const joins = mallory.joinsLeft > 0;
      let kind = rng.int(9);
      if (kind === 1 && !joins) kind = 2;
      switch (kind) {
        case 0: {
          // Bytes that are no protobuf, or a random one: to Join (only while joins are allowed) that may be a valid Join.
          const m = METHODS[rng.int(METHODS.length - (joins ? 0 : 1)) + (joins ? 0 : 1)]!;
          const bytes = junkBytes(rng, 200);
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
          // Her certificate names her whatever name she claims: each Join is a restart of mallory.
          mallory.joinsLeft--;
          tally.joins++;
          typed.Join({ nodeName: junkText(rng), softwareVersion: junkText(rng) }, deadline(), (e, r) => {
            if (r?.sessionId) mallory.sessionId = r.sessionId;
            finish(e);
          });
          return;
        case 2:
          typed.Heartbeat({ sessionId: session() }, deadline(), finish);
          return;
        case 3:
        case 4: {
          // Her real session only before the rounds: during them a poll would take her task away from the player.
          const id = mallory.joinsLeft > 0 && rng.int(4) ? mallory.sessionId : junkText(rng);
          const call = typed.GetTask({ sessionId: id }, { deadline: Date.now() + 3_000 });
          call.on('data', () => undefined).on('error', finish).on('end', () => finish(null));
          return;
        }
        case 5:
        case 6:
        case 7: {
          // Uploads out of order: data first, two headers, a header then junk data, or nothing at all.
          const call = typed.SubmitUpdate(deadline(), finish);
          const order = rng.int(4);
          const header = () => ({ header: junkHeader(rng, mallory.sessionId, mallory.answered) });
          const data = () => ({ data: junkBytes(rng, 64) });
          const parts = order === 0 ? [data(), header()] : order === 1 ? [header(), header()] : order === 2 ? [header(), data(), data()] : [header()];
          for (const p of parts) call.write(p as UpdateChunk);
          if (rng.int(10) === 0) call.cancel();
          else call.end();
          return;
        }
        default: {
          const ids = mallory.answered;
          const taskId = ids.length ? ids[rng.int(ids.length)]! : junkText(rng);
          typed.SubmitEvaluation({ sessionId: session(), taskId, numSamples: rng.int(2 ** 31), metrics: { tp: junkNumber(rng), [junkText(rng).slice(0, 32)]: junkNumber(rng) } }, deadline(), finish);
        }
      }
    });
  try {
    let issued = 0;
    const lanes = Array.from({ length: o.inFlight }, async () => {
      while (issued < o.budget && !o.stop?.()) {
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
