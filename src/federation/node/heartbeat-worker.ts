/**
 * The worker thread that keeps a node's session alive (heartbeat-thread.ts).
 * It has its own event loop and its own gRPC channel, so a training step that
 * holds the node's main thread for minutes does not silence it. It stops
 * on its own when the main thread has not been heard from for MAIN_SILENCE_MS:
 * a node hung for good must not look alive forever.
 */
import * as grpc from '@grpc/grpc-js';
import { parentPort, workerData } from 'node:worker_threads';
import { channelOptions } from '../../net/grpc-options.js';
import { coordinatorService } from '../wire/proto.js';
import type { HeartbeatReply__Output } from '../wire/messages.js';

export interface HeartbeatWorkerData {
  address: string;
  /** PEM; all null in the insecure loopback mode. */
  ca: Uint8Array | null;
  key: Uint8Array | null;
  cert: Uint8Array | null;
  maxMessageBytes: number;
  mainSilenceMs: number;
}

export type ToWorker = { type: 'session'; sessionId: string; intervalMs: number } | { type: 'alive' } | { type: 'stop' };
export type FromWorker = { type: 'ready' } | { type: 'reply'; sessionId: string; known: boolean; finished: boolean } | { type: 'failed'; sessionId: string };

const data = workerData as HeartbeatWorkerData;
const port = parentPort!;
const credentials = data.ca && data.key && data.cert
  ? grpc.credentials.createSsl(Buffer.from(data.ca), Buffer.from(data.key), Buffer.from(data.cert))
  : grpc.credentials.createInsecure();
const Service = coordinatorService();
const client = new Service(data.address, credentials, channelOptions(data.maxMessageBytes));

let timer: NodeJS.Timeout | undefined;
let mainSeen = Date.now();

function beat(sessionId: string): void {
  if (Date.now() - mainSeen > data.mainSilenceMs) return; // the node is stuck: let the coordinator drop it
  client.Heartbeat({ sessionId }, { deadline: Date.now() + 10_000 }, (error: grpc.ServiceError | null, reply?: HeartbeatReply__Output) => {
    const msg: FromWorker = error || !reply ? { type: 'failed', sessionId } : { type: 'reply', sessionId, known: reply.known, finished: reply.finished };
    port.postMessage(msg);
  });
}

port.on('message', (m: ToWorker) => {
  mainSeen = Date.now();
  if (m.type === 'session') {
    clearInterval(timer);
    timer = setInterval(() => beat(m.sessionId), m.intervalMs);
    beat(m.sessionId);
  } else if (m.type === 'stop') {
    clearInterval(timer);
    client.close();
    port.close();
  }
});
port.postMessage({ type: 'ready' } satisfies FromWorker);
