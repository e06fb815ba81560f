/**
 * A raw gRPC client of the Coordinator service with a node's real
 * certificate, for tests that must send what a well-behaved node never
 * would (oversized messages, broken streams).
 */
import * as grpc from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { nodeCertPaths, pkiPaths } from '../../../src/net/certs/pki-files.js';
import { coordinatorService } from '../../../src/federation/wire/proto.js';
import type { SubmitReply__Output as SubmitReplyMsg, UpdateChunk as UpdateChunkMsg } from '../../../src/federation/wire/messages.js';

export function nodeCredentials(pkiDir: string, name: string): grpc.ChannelCredentials {
  const n = nodeCertPaths(pkiDir, name);
  return grpc.credentials.createSsl(readFileSync(pkiPaths(pkiDir).caCert), readFileSync(n.key), readFileSync(n.cert));
}

export interface RawUpload {
  write(msg: UpdateChunkMsg): void;
  end(): void;
  cancel(): void;
  reply: Promise<SubmitReplyMsg>;
}

export function rawUpload(address: string, credentials: grpc.ChannelCredentials, timeoutMs = 10_000): { upload: RawUpload; close(): void } {
  const Service = coordinatorService();
  // Allow sending more than any limit, so that the coordinator's limits are what is tested.
  const client = new Service(address, credentials, { 'grpc.max_send_message_length': 64 << 20 }) as unknown as {
    SubmitUpdate(o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r: SubmitReplyMsg) => void): grpc.ClientWritableStream<UpdateChunkMsg>;
    close(): void;
  };
  let call!: grpc.ClientWritableStream<UpdateChunkMsg>;
  const reply = new Promise<SubmitReplyMsg>((resolve, reject) => {
    call = client.SubmitUpdate({ deadline: Date.now() + timeoutMs }, (e, r) => (e ? reject(e) : resolve(r)));
  });
  reply.catch(() => undefined);
  return {
    upload: { write: (m) => void call.write(m), end: () => call.end(), cancel: () => call.cancel(), reply },
    close: () => client.close(),
  };
}
