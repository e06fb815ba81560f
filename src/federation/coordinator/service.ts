/**
 * The gRPC handlers of the Coordinator service, one named function per RPC.
 * Authorisation and error mapping: service-context.ts; uploads:
 * submit-update.ts.
 */
import { printable } from '../../common/printable.js';
import { replyValuesProblem } from '../wire/reply-values.js';
import * as grpc from '@grpc/grpc-js';
import { PrivmedError } from '../../common/errors.js';
import { chunksOf } from '../wire/chunks.js';
import { configToWire } from '../wire/config-values.js';
import type {
  CoordinatorHandlers,
  EvaluationResult__Output,
  HeartbeatReply,
  HeartbeatRequest__Output,
  JoinReply,
  JoinRequest__Output,
  SubmitReply,
  TaskChunk,
  TaskHeader,
  TaskRequest__Output,
  WireTaskKind,
} from '../wire/messages.js';
import type { TaskKind } from '../wire/task.js';
import { authorizeJoin, authorizeSession, LATE, serviceError, UnknownSession, type ServiceContext } from './service-context.js';
import { submitUpdate } from './submit-update.js';
import type { Task } from './task-board.js';
import { ledgerHeadToWire } from '../wire/ledger-head.js';

export type { ServiceContext } from './service-context.js';

const KIND_ON_WIRE: Record<TaskKind, WireTaskKind> = {
  fit: 'TASK_KIND_FIT',
  evaluate: 'TASK_KIND_EVALUATE',
  step: 'TASK_KIND_STEP',
  init: 'TASK_KIND_INIT',
};

function taskHeader(ctx: ServiceContext, task: Task): TaskHeader {
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
    ledgerHead: ledgerHeadToWire(ctx.ledgerHeads?.last(task.node)),
  };
}

function emptyHeader(kind: WireTaskKind, message: string, retryAfterMs: number): TaskHeader {
  return { kind, taskId: '', round: 0, config: {}, manifest: null, stage: '', payload: Buffer.alloc(0), retryAfterMs, message };
}

function join(ctx: ServiceContext): grpc.handleUnaryCall<JoinRequest__Output, JoinReply> {
  return (call, callback) => {
    try {
      const node = authorizeJoin(ctx, call, call.request.nodeName);
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
  };
}

function heartbeat(ctx: ServiceContext): grpc.handleUnaryCall<HeartbeatRequest__Output, HeartbeatReply> {
  return (call, callback) => {
    try {
      const session = authorizeSession(ctx, call, call.request.sessionId);
      callback(null, { known: true, finished: ctx.finished() !== null && ctx.board.nextFor(session.id) === undefined });
    } catch (e) {
      if (e instanceof UnknownSession) callback(null, { known: false, finished: ctx.finished() !== null });
      else callback(serviceError(e));
    }
  };
}

/** When each task's weights last started going out: a node polling many times at once gets them once. */
const lastDelivery = new WeakMap<Task, number>();
/** A task is streamed again to its node at most this often (a node whose stream broke retries after it). */
const REDELIVERY_MS = 1000;

/** Long poll: the session's next task (header, then its weights in chunks), or WAIT, or FINISHED. */
function getTask(ctx: ServiceContext): grpc.handleServerStreamingCall<TaskRequest__Output, TaskChunk> {
  return (call) => {
    let cancelled = false;
    call.on('cancelled', () => (cancelled = true));
    void (async () => {
      try {
        const session = authorizeSession(ctx, call, call.request.sessionId);
        const task = await ctx.board.waitFor(session.id, ctx.pollTimeoutMs, () => !cancelled && ctx.finished() === null);
        if (cancelled) return;
        const since = task ? Date.now() - (lastDelivery.get(task) ?? -Infinity) : Infinity;
        if (!task || since < REDELIVERY_MS) {
          const message = task ? null : ctx.finished();
          if (message !== null) {
            call.write({ header: emptyHeader('TASK_KIND_FINISHED', message, 0) });
            ctx.onFinishedDelivered(session.id);
          } else {
            call.write({ header: emptyHeader('TASK_KIND_WAIT', '', task ? Math.ceil(REDELIVERY_MS - since) : 0) });
          }
          call.end();
          return;
        }
        lastDelivery.set(task, Date.now());
        call.write({ header: taskHeader(ctx, task) });
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
  };
}

function submitEvaluation(ctx: ServiceContext): grpc.handleUnaryCall<EvaluationResult__Output, SubmitReply> {
  return (call, callback) => {
    try {
      const session = authorizeSession(ctx, call, call.request.sessionId);
      const task = ctx.board.find(call.request.taskId);
      if (!task || task.sessionId !== session.id) {
        ctx.events({ type: 'late-result', node: session.node, taskId: printable(call.request.taskId, 64) });
        return callback(null, { accepted: false, reason: LATE });
      }
      if (task.spec.kind !== 'evaluate') throw new PrivmedError('SubmitEvaluation answers evaluate tasks only');
      const numSamples = Number(call.request.numSamples);
      const reason = replyValuesProblem('evaluate', numSamples, call.request.metrics, ctx.maxNumSamples);
      if (reason) {
        ctx.board.settle(task.id, { status: 'rejected', reason });
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
  };
}

export function coordinatorHandlers(ctx: ServiceContext): CoordinatorHandlers {
  return {
    Join: join(ctx),
    Heartbeat: heartbeat(ctx),
    GetTask: getTask(ctx),
    SubmitUpdate: submitUpdate(ctx),
    SubmitEvaluation: submitEvaluation(ctx),
  };
}
