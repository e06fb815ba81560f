/**
 * The node's typed client of the Coordinator service: unary calls as
 * promises, task downloads assembled from their chunks, uploads split into
 * chunks with backpressure. Sizes are checked before sending, so a too-large
 * update fails here with a clear message instead of as a reset stream.
 */
import * as grpc from '@grpc/grpc-js';
import { PrivmedError } from '../../common/errors.js';
import { PayloadAssembler, chunksOf } from '../wire/chunks.js';
import { configFromWire } from '../wire/config-values.js';
import { checkSize } from '../wire/limits.js';
import type {
  CoordinatorClient as GeneratedClient,
  EvaluationResult,
  HeartbeatReply__Output,
  JoinReply__Output,
  SubmitReply__Output,
  TaskChunk__Output,
  TaskHeader__Output,
  UpdateChunk,
  WireTaskKind,
} from '../wire/messages.js';
import { coordinatorService } from '../wire/proto.js';
import type { NodeReply, ReceivedTask } from '../wire/task.js';
import { decodeTensors, encodeTensors, manifestOf, specsFromManifest } from '../wire/tensors.js';
import { channelOptions } from '../../net/grpc-options.js';
import type { LedgerHead } from '../../accounting/index.js';
import { ledgerHeadFromWire, ledgerHeadToWire } from '../wire/ledger-head.js';

export type TaskOrSignal = ReceivedTask | { kind: 'wait'; retryAfterMs: number } | { kind: 'finished'; message: string };

type Unary<Req, Res> = (request: Req, options: grpc.CallOptions, callback: grpc.requestCallback<Res>) => grpc.ClientUnaryCall;

const KINDS: Partial<Record<WireTaskKind, ReceivedTask['kind']>> = {
  TASK_KIND_FIT: 'fit',
  TASK_KIND_EVALUATE: 'evaluate',
  TASK_KIND_STEP: 'step',
  TASK_KIND_INIT: 'init',
};

export interface Limits {
  chunkBytes: number;
  maxUpdateBytes: number;
}

export class CoordinatorClient {
  private readonly client: GeneratedClient;

  constructor(
    address: string,
    credentials: grpc.ChannelCredentials,
    maxMessageBytes: number,
    private readonly callTimeoutMs: number,
  ) {
    const Service = coordinatorService();
    this.client = new Service(address, credentials, channelOptions(maxMessageBytes));
  }

  private deadline(ms = this.callTimeoutMs): grpc.CallOptions {
    return { deadline: Date.now() + ms };
  }

  private unary<Req, Res>(fn: Unary<Req, Res>, request: Req, timeoutMs = 30_000): Promise<Res> {
    return new Promise((resolve, reject) => {
      fn.call(this.client, request, this.deadline(timeoutMs), (error, response) => (error ? reject(error) : resolve(response!)));
    });
  }

  join(nodeName: string, softwareVersion: string): Promise<JoinReply__Output> {
    return this.unary(this.client.Join, { nodeName, softwareVersion });
  }

  heartbeat(sessionId: string): Promise<HeartbeatReply__Output> {
    return this.unary(this.client.Heartbeat, { sessionId }, 10_000);
  }

  submitEvaluation(result: EvaluationResult): Promise<SubmitReply__Output> {
    return this.unary(this.client.SubmitEvaluation, result);
  }

  /** Long-polls for the next task and downloads its weights. */
  getTask(sessionId: string, limits: Limits): Promise<TaskOrSignal> {
    return new Promise((resolve, reject) => {
      const call = this.client.GetTask({ sessionId }, this.deadline());
      let header: TaskHeader__Output | undefined;
      let assembler: PayloadAssembler | undefined;
      let failed = false;
      const fail = (error: unknown) => {
        if (failed) return;
        failed = true;
        call.cancel();
        reject(error);
      };
      call.on('data', (msg: TaskChunk__Output) => {
        try {
          if (!header) {
            if (msg.part !== 'header' || !msg.header) throw new PrivmedError('the coordinator sent a task without header');
            header = msg.header;
            if (header.manifest) {
              checkSize('the global model', Number(header.manifest.totalBytes), limits.maxUpdateBytes, 'the coordinator limits.maxUpdateBytes is too small for this model');
              specsFromManifest(header.manifest, 'global model');
              // Chunks may be up to the coordinator's chunk size; the message limit bounds them anyway.
              assembler = new PayloadAssembler(Number(header.manifest.totalBytes), Number.MAX_SAFE_INTEGER, 'global model');
            }
          } else if (msg.part === 'data' && msg.data && assembler) {
            assembler.push(msg.data);
          } else {
            throw new PrivmedError('unexpected message in a task stream');
          }
        } catch (e) {
          fail(e);
        }
      });
      call.on('error', fail);
      call.on('end', () => {
        if (failed) return;
        try {
          if (!header) throw new PrivmedError('the task stream ended without a header');
          if (header.kind === 'TASK_KIND_WAIT') return resolve({ kind: 'wait', retryAfterMs: header.retryAfterMs });
          if (header.kind === 'TASK_KIND_FINISHED') return resolve({ kind: 'finished', message: header.message });
          const kind = KINDS[header.kind];
          if (!kind) throw new PrivmedError(`unknown task kind ${header.kind}`);
          const tensors = header.manifest && assembler ? decodeTensors(specsFromManifest(header.manifest, 'global model'), assembler.finish()) : null;
          resolve({
            kind,
            taskId: header.taskId,
            round: header.round,
            config: configFromWire(header.config),
            tensors,
            stage: header.stage,
            payload: header.payload,
            ledgerHead: ledgerHeadFromWire(header.ledgerHead, 'the task from the coordinator'),
          });
        } catch (e) {
          fail(e);
        }
      });
    });
  }

  /** Streams a fit/step/init reply: header (with the node's ledger head, if any), then the weights in chunks. */
  async submitUpdate(sessionId: string, taskId: string, reply: NodeReply, limits: Limits, ledgerHead: LedgerHead | null = null): Promise<SubmitReply__Output> {
    const manifest = reply.tensors ? manifestOf(reply.tensors) : null;
    if (manifest) {
      checkSize('this update', manifest.totalBytes, limits.maxUpdateBytes, "raise the coordinator's limits.maxUpdateBytes");
    }
    const payload = reply.tensors ? encodeTensors(reply.tensors) : null;
    return new Promise((resolve, reject) => {
      const call = this.client.SubmitUpdate(this.deadline(), (error, response) => (error ? reject(error) : resolve(response!)));
      void (async () => {
        const write = async (msg: UpdateChunk) => {
          if (!call.write(msg)) await new Promise((r) => call.once('drain', r));
        };
        await write({
          header: { sessionId, taskId, numSamples: reply.numSamples, metrics: reply.metrics, manifest, payload: reply.payload ?? Buffer.alloc(0), ledgerHead: ledgerHeadToWire(ledgerHead) },
        });
        if (payload) for (const chunk of chunksOf(payload, limits.chunkBytes)) await write({ data: chunk });
        call.end();
      })().catch((e: unknown) => {
        call.cancel();
        reject(e);
      });
    });
  }

  close(): void {
    this.client.close();
  }
}
