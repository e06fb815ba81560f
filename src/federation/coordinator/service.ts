/**
 * The gRPC handlers of the Coordinator service. Every call is authorised on
 * its own: the client certificate's CN (from this call's TLS connection) must
 * be on the allow-list and, for calls with a session, must own the session.
 * Uploads are assembled in memory and only handed to the round once complete
 * and checked, so a node that disconnects mid-stream leaves nothing behind.
 */
import * as grpc from '@grpc/grpc-js';
import { PrivmedError } from '../../common/errors.js';
import { PayloadAssembler, chunksOf } from '../wire/chunks.js';
import { configToWire } from '../wire/config-values.js';
import { MessageTooLargeError, checkSize, type WireLimits } from '../wire/limits.js';
import type {
  EvaluationResultMsg,
  HeartbeatReplyMsg,
  HeartbeatRequestMsg,
  JoinReplyMsg,
  JoinRequestMsg,
  SubmitReplyMsg,
  TaskChunkMsg,
  TaskHeaderMsg,
  TaskKindName,
  TaskRequestMsg,
  UpdateChunkMsg,
  UpdateHeaderMsg,
} from '../wire/messages.js';
import { decodeRefusal } from '../wire/secagg-envelope.js';
import { decodeTensors, specMismatch, specsFromManifest, type TensorSpec } from '../wire/tensors.js';
import { AccessDenied, peerCommonName, type AuthorizableCall } from '../../net/peer-identity.js';
import type { EventSink } from './events.js';
import type { NodeRegistry, Session } from './node-registry.js';
import type { NodeReply, Task, TaskBoard, TaskKind } from './task-board.js';

export interface ServiceContext {
  runName: string;
  registry: NodeRegistry;
  board: TaskBoard;
  allowedNodes: ReadonlySet<string>;
  insecure: boolean;
  limits: WireLimits;
  heartbeatIntervalMs: number;
  pollTimeoutMs: number;
  events: EventSink;
  /** Non-null once the run is over: the message nodes get with FINISHED. */
  finished(): string | null;
  onJoin(node: string, rejoined: boolean): void;
  /** Called when a session has been told that the run is over. */
  onFinishedDelivered(sessionId: string): void;
}

class UnknownSession extends Error {}

const LATE = 'late or unknown task: the round no longer waits for it';

const KIND_ON_WIRE: Record<TaskKind, TaskKindName> = {
  fit: 'TASK_KIND_FIT',
  evaluate: 'TASK_KIND_EVALUATE',
  step: 'TASK_KIND_STEP',
  init: 'TASK_KIND_INIT',
};

function serviceError(error: unknown): Partial<grpc.StatusObject> {
  if (error instanceof AccessDenied) return { code: error.code, details: error.message };
  if (error instanceof UnknownSession) return { code: grpc.status.FAILED_PRECONDITION, details: error.message };
  if (error instanceof MessageTooLargeError) return { code: grpc.status.RESOURCE_EXHAUSTED, details: error.message };
  if (error instanceof PrivmedError) return { code: grpc.status.INVALID_ARGUMENT, details: error.message };
  return { code: grpc.status.INTERNAL, details: `internal error: ${(error as Error)?.message ?? String(error)}` };
}

export function coordinatorHandlers(ctx: ServiceContext): grpc.UntypedServiceImplementation {
  function deny(call: AuthorizableCall, error: AccessDenied): never {
    ctx.events({ type: 'access-denied', peer: call.getPeer(), reason: error.message });
    throw error;
  }

  /** The caller's node name: its certificate CN, or (insecure mode only) the name it claims. */
  function callerName(call: AuthorizableCall, claimed?: string): string | null {
    if (ctx.insecure) return claimed ?? null;
    try {
      return peerCommonName(call);
    } catch (e) {
      return deny(call, e as AccessDenied);
    }
  }

  function authorizeJoin(call: AuthorizableCall, request: JoinRequestMsg): string {
    const name = callerName(call, request.nodeName);
    if (!name) return deny(call, new AccessDenied(grpc.status.INVALID_ARGUMENT, 'no node name given'));
    if (!ctx.allowedNodes.has(name)) {
      return deny(call, new AccessDenied(grpc.status.PERMISSION_DENIED, `node '${name}' is not on the coordinator's allow-list`));
    }
    return name;
  }

  function authorizeSession(call: AuthorizableCall, sessionId: string): Session {
    const cn = callerName(call);
    if (cn !== null && !ctx.allowedNodes.has(cn)) {
      return deny(call, new AccessDenied(grpc.status.PERMISSION_DENIED, `node '${cn}' is not on the coordinator's allow-list`));
    }
    const session = ctx.registry.get(sessionId);
    if (!session) throw new UnknownSession('unknown session (the coordinator restarted or declared the node lost): join again');
    if (cn !== null && session.node !== cn) {
      return deny(call, new AccessDenied(grpc.status.PERMISSION_DENIED, `certificate '${cn}' does not own the session of node '${session.node}'`));
    }
    ctx.registry.touch(session);
    return session;
  }

  function taskHeader(task: Task): TaskHeaderMsg {
    const s = task.spec;
    return {
      kind: KIND_ON_WIRE[s.kind],
      taskId: task.id,
      round: s.round,
      config: configToWire(s.config),
      manifest: s.weights?.manifest ?? null,
      stage: s.stage ?? '',
      payload: s.payload ?? Buffer.alloc(0),
      retryAfterMs: 0,
      message: '',
    };
  }

  function emptyHeader(kind: TaskKindName, message: string, retryAfterMs: number): TaskHeaderMsg {
    return { kind, taskId: '', round: 0, config: {}, manifest: null, stage: '', payload: Buffer.alloc(0), retryAfterMs, message };
  }

  function settleRejected(task: Task, reason: string): void {
    ctx.board.settle(task.id, { status: 'rejected', reason });
  }

  return {
    Join(call: grpc.ServerUnaryCall<JoinRequestMsg, JoinReplyMsg>, callback: grpc.sendUnaryData<JoinReplyMsg>) {
      try {
        const node = authorizeJoin(call, call.request);
        const { session, rejoined } = ctx.registry.join(node);
        ctx.onJoin(node, rejoined);
        callback(null, {
          sessionId: session.id,
          runName: ctx.runName,
          heartbeatIntervalMs: ctx.heartbeatIntervalMs,
          maxMessageBytes: ctx.limits.maxMessageBytes,
          chunkBytes: ctx.limits.chunkBytes,
          maxUpdateBytes: ctx.limits.maxUpdateBytes,
        });
      } catch (e) {
        callback(serviceError(e));
      }
    },

    Heartbeat(call: grpc.ServerUnaryCall<HeartbeatRequestMsg, HeartbeatReplyMsg>, callback: grpc.sendUnaryData<HeartbeatReplyMsg>) {
      try {
        const session = authorizeSession(call, call.request.sessionId);
        callback(null, { known: true, finished: ctx.finished() !== null && ctx.board.nextFor(session.id) === undefined });
      } catch (e) {
        if (e instanceof UnknownSession) callback(null, { known: false, finished: ctx.finished() !== null });
        else callback(serviceError(e));
      }
    },

    GetTask(call: grpc.ServerWritableStream<TaskRequestMsg, TaskChunkMsg>) {
      let cancelled = false;
      call.on('cancelled', () => (cancelled = true));
      void (async () => {
        try {
          const session = authorizeSession(call, call.request.sessionId);
          const task = await ctx.board.waitFor(session.id, ctx.pollTimeoutMs, () => !cancelled && ctx.finished() === null);
          if (cancelled) return;
          if (!task) {
            const message = ctx.finished();
            if (message !== null) {
              call.write({ header: emptyHeader('TASK_KIND_FINISHED', message, 0) });
              ctx.onFinishedDelivered(session.id);
            } else {
              call.write({ header: emptyHeader('TASK_KIND_WAIT', '', 0) });
            }
            call.end();
            return;
          }
          call.write({ header: taskHeader(task) });
          const payload = task.spec.weights?.payload;
          if (payload) {
            for (const chunk of chunksOf(payload, ctx.limits.chunkBytes)) {
              if (cancelled) return;
              if (!call.write({ data: chunk })) await new Promise((resolve) => call.once('drain', resolve));
            }
          }
          call.end();
        } catch (e) {
          if (!cancelled) call.emit('error', serviceError(e));
        }
      })();
    },

    SubmitUpdate(call: grpc.ServerReadableStream<UpdateChunkMsg, SubmitReplyMsg>, callback: grpc.sendUnaryData<SubmitReplyMsg>) {
      let header: UpdateHeaderMsg | undefined;
      let task: Task | undefined;
      let specs: TensorSpec[] | null = null;
      let assembler: PayloadAssembler | undefined;
      let answered = false;
      const answer = (error: Partial<grpc.StatusObject> | null, reply?: SubmitReplyMsg) => {
        if (answered) return;
        answered = true;
        callback(error, reply);
      };
      const refuse = (reason: string) => {
        if (task) settleRejected(task, reason);
        answer(null, { accepted: false, reason });
      };

      /** A node that declines a plain fit (e.g. its privacy budget is spent) says why in the payload. */
      const refusalOf = (payload: Buffer | undefined): string | null => {
        const reason = payload && payload.length ? decodeRefusal(payload) : null;
        return reason === null ? null : `the node refused: ${reason}`;
      };

      function onHeader(h: UpdateHeaderMsg): void {
        header = h;
        const session = authorizeSession(call, h.sessionId);
        task = ctx.board.find(h.taskId);
        if (!task || task.sessionId !== session.id) {
          task = undefined;
          ctx.events({ type: 'late-result', node: session.node, taskId: h.taskId });
          answer(null, { accepted: false, reason: LATE });
          return;
        }
        if (task.spec.kind === 'evaluate') throw new PrivmedError('an evaluate task is answered with SubmitEvaluation');
        const expect = task.spec.expect;
        if (h.manifest && expect === 'none') return refuse('this task expects no tensors');
        if (!h.manifest) {
          // With 'any' the task's check decides (a secure aggregation node may answer with a refusal instead).
          if (Array.isArray(expect)) return refuse(refusalOf(h.payload) ?? 'the reply carries no weights');
          return;
        }
        checkSize('the update', Number(h.manifest.totalBytes), ctx.limits.maxUpdateBytes, 'raise limits.maxUpdateBytes on the coordinator');
        specs = specsFromManifest(h.manifest, `update of ${session.node}`);
        if (Array.isArray(expect)) {
          const mismatch = specMismatch(expect, specs);
          if (mismatch) return refuse(`update does not match the global model: ${mismatch}`);
        }
        assembler = new PayloadAssembler(Number(h.manifest.totalBytes), ctx.limits.chunkBytes, `update of ${session.node}`);
      }

      call.on('data', (msg: UpdateChunkMsg) => {
        if (answered) return;
        try {
          if (!header) {
            if (msg.part !== 'header' || !msg.header) throw new PrivmedError('the first message of an upload must be its header');
            onHeader(msg.header);
          } else {
            if (msg.part !== 'data' || !msg.data) throw new PrivmedError('only data chunks may follow the header');
            if (!assembler) throw new PrivmedError('data chunks sent for a reply without tensors');
            assembler.push(msg.data);
          }
        } catch (e) {
          if (task && !(e instanceof AccessDenied) && !(e instanceof UnknownSession)) settleRejected(task, (e as Error).message);
          answer(serviceError(e));
        }
      });

      call.on('end', () => {
        if (answered) return;
        try {
          if (!header || !task) throw new PrivmedError('the upload ended before its header');
          if (assembler && !assembler.complete) {
            // Cut off (gRPC may already have refused a message of it): keep nothing, and let the node try again.
            return answer({
              code: grpc.status.INVALID_ARGUMENT,
              details: `upload ended after ${assembler.receivedBytes} of ${assembler.expectedBytes} bytes; nothing was kept`,
            });
          }
          const reply: NodeReply = {
            tensors: assembler && specs ? decodeTensors(specs, assembler.finish()) : null,
            numSamples: Number(header.numSamples),
            metrics: { ...header.metrics },
            payload: header.payload ?? Buffer.alloc(0),
          };
          const reason = task.spec.check?.(reply) ?? null;
          if (reason) return refuse(reason);
          if (!ctx.board.settle(task.id, { status: 'accepted', reply })) {
            // The round stopped waiting while this upload was on its way.
            ctx.events({ type: 'late-result', node: task.node, taskId: task.id });
            return answer(null, { accepted: false, reason: LATE });
          }
          answer(null, { accepted: true, reason: '' });
        } catch (e) {
          if (task) settleRejected(task, (e as Error).message);
          answer(serviceError(e));
        }
      });
      // A node that vanishes mid-upload: drop what arrived; the task stays open until it retries or is dropped.
      call.on('error', () => (answered = true));
      call.on('cancelled', () => (answered = true));
    },

    SubmitEvaluation(call: grpc.ServerUnaryCall<EvaluationResultMsg, SubmitReplyMsg>, callback: grpc.sendUnaryData<SubmitReplyMsg>) {
      try {
        const session = authorizeSession(call, call.request.sessionId);
        const task = ctx.board.find(call.request.taskId);
        if (!task || task.sessionId !== session.id) {
          ctx.events({ type: 'late-result', node: session.node, taskId: call.request.taskId });
          return callback(null, { accepted: false, reason: LATE });
        }
        if (task.spec.kind !== 'evaluate') throw new PrivmedError('SubmitEvaluation answers evaluate tasks only');
        const numSamples = Number(call.request.numSamples);
        const bad = Object.entries(call.request.metrics).find(([, v]) => !Number.isFinite(v));
        const reason = !Number.isSafeInteger(numSamples) || numSamples <= 0
          ? `sample count must be a positive integer, got ${numSamples}`
          : bad
            ? `metric '${bad[0]}' is not finite (${bad[1]})`
            : null;
        if (reason) {
          settleRejected(task, reason);
          return callback(null, { accepted: false, reason });
        }
        const settled = ctx.board.settle(task.id, {
          status: 'accepted',
          reply: { tensors: null, numSamples, metrics: { ...call.request.metrics }, payload: Buffer.alloc(0) },
        });
        callback(null, settled ? { accepted: true, reason: '' } : { accepted: false, reason: LATE });
      } catch (e) {
        callback(serviceError(e));
      }
    },
  };
}
