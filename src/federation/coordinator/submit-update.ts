/**
 * The SubmitUpdate handler: a node's reply to a fit, step or init task, as a
 * header followed by weight chunks. The upload is assembled in memory and
 * only handed to the round once complete and checked, so a node that
 * disconnects mid-stream leaves nothing behind.
 */
import { printable } from '../../common/printable.js';
import { replyValuesProblem } from '../wire/reply-values.js';
import * as grpc from '@grpc/grpc-js';
import { PrivmedError } from '../../common/errors.js';
import { PayloadAssembler } from '../wire/chunks.js';
import { checkSize } from '../wire/limits.js';
import type { SubmitReply, UpdateChunk__Output, UpdateHeader__Output } from '../wire/messages.js';
import { refusalOf } from '../wire/refusal.js';
import type { NodeReply } from '../wire/task.js';
import { decodeTensors, specMismatch, specsFromManifest, type TensorSpec } from '../wire/tensors.js';
import { AccessDenied } from '../../net/peer-identity.js';
import { authorizeSession, LATE, serviceError, UnknownSession, type ServiceContext } from './service-context.js';
import type { Task } from './task-board.js';
import { ledgerHeadFromWire } from '../wire/ledger-head.js';

type Call = grpc.ServerReadableStream<UpdateChunk__Output, SubmitReply>;

/** One upload: its header, the task it answers, and the tensors assembled so far. */
class Upload {
  private header: UpdateHeader__Output | undefined;
  private task: Task | undefined;
  private specs: TensorSpec[] | null = null;
  private assembler: PayloadAssembler | undefined;
  answered = false;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly call: Call,
    private readonly callback: grpc.sendUnaryData<SubmitReply>,
  ) {}

  answer(error: Partial<grpc.StatusObject> | null, reply?: SubmitReply): void {
    if (this.answered) return;
    this.answered = true;
    this.callback(error, reply);
  }

  private refuse(reason: string): void {
    if (this.task) this.ctx.board.settle(this.task.id, { status: 'rejected', reason });
    this.answer(null, { accepted: false, reason });
  }

  private fail(e: unknown): void {
    if (this.task && !(e instanceof AccessDenied) && !(e instanceof UnknownSession)) {
      this.ctx.board.settle(this.task.id, { status: 'rejected', reason: (e as Error).message });
    }
    this.answer(serviceError(e));
  }

  onChunk(msg: UpdateChunk__Output): void {
    if (this.answered) return;
    try {
      if (!this.header) {
        if (msg.part !== 'header' || !msg.header) throw new PrivmedError('the first message of an upload must be its header');
        this.onHeader(msg.header);
      } else {
        if (msg.part !== 'data' || !msg.data) throw new PrivmedError('only data chunks may follow the header');
        if (!this.assembler) throw new PrivmedError('data chunks sent for a reply without tensors');
        this.assembler.push(msg.data);
      }
    } catch (e) {
      this.fail(e);
    }
  }

  private onHeader(h: UpdateHeader__Output): void {
    const { ctx } = this;
    this.header = h;
    const session = authorizeSession(ctx, this.call, h.sessionId);
    const task = ctx.board.find(h.taskId);
    if (!task || task.sessionId !== session.id) {
      ctx.events({ type: 'late-result', node: session.node, taskId: printable(h.taskId, 64) });
      return this.answer(null, { accepted: false, reason: LATE });
    }
    this.task = task;
    if (task.spec.kind === 'evaluate') throw new PrivmedError('an evaluate task is answered with SubmitEvaluation');
    // Recorded whatever becomes of the reply: the node's ledger charged it either way.
    const head = ledgerHeadFromWire(h.ledgerHead, `reply of ${session.node}`);
    const headProblem = head && ctx.ledgerHeads ? ctx.ledgerHeads.record(session.node, task.spec.round, head) : null;
    if (headProblem) return this.refuse(headProblem);
    const expect = task.spec.expect;
    if (h.manifest && expect === 'none') return this.refuse('this task expects no tensors');
    if (!h.manifest) {
      // With 'any' the task's check decides (a secure aggregation node may answer with a refusal instead).
      // A node that declines a plain fit (e.g. its privacy budget is spent) says why in the payload.
      if (Array.isArray(expect)) return this.refuse(refusalOf(h.payload) ?? 'the reply carries no weights');
      return;
    }
    checkSize('the update', Number(h.manifest.totalBytes), ctx.limits.maxUpdateBytes, 'raise limits.maxUpdateBytes on the coordinator');
    this.specs = specsFromManifest(h.manifest, `update of ${session.node}`);
    if (Array.isArray(expect)) {
      const mismatch = specMismatch(expect, this.specs);
      if (mismatch) return this.refuse(`update does not match the global model: ${mismatch}`);
    }
    this.assembler = new PayloadAssembler(Number(h.manifest.totalBytes), ctx.limits.chunkBytes, `update of ${session.node}`);
  }

  onEnd(): void {
    if (this.answered) return;
    const { header, task, assembler, specs } = this;
    try {
      if (!header || !task) throw new PrivmedError('the upload ended before its header');
      if (assembler && !assembler.complete) {
        // Cut off (gRPC may already have refused a message of it): keep nothing, and let the node try again.
        return this.answer({
          code: grpc.status.INVALID_ARGUMENT,
          details: `upload ended after ${assembler.receivedBytes} of ${assembler.expectedBytes} bytes; nothing was kept`,
        });
      }
      if (!this.ctx.board.find(task.id)) {
        // The round stopped waiting while this upload was on its way; its check (which may add the update into a running sum) must not run.
        this.ctx.events({ type: 'late-result', node: task.node, taskId: task.id });
        return this.answer(null, { accepted: false, reason: LATE });
      }
      const reply: NodeReply = {
        tensors: assembler && specs ? decodeTensors(specs, assembler.finish()) : null,
        numSamples: Number(header.numSamples),
        metrics: { ...header.metrics },
        payload: header.payload ?? Buffer.alloc(0),
      };
      const reason = replyValuesProblem('fit', reply.numSamples, reply.metrics, this.ctx.maxNumSamples) ?? task.spec.check?.(reply) ?? null;
      if (reason) return this.refuse(reason);
      if (!this.ctx.board.settle(task.id, { status: 'accepted', reply })) {
        // The round stopped waiting while this upload was on its way.
        this.ctx.events({ type: 'late-result', node: task.node, taskId: task.id });
        return this.answer(null, { accepted: false, reason: LATE });
      }
      this.answer(null, { accepted: true, reason: '' });
    } catch (e) {
      if (task) this.ctx.board.settle(task.id, { status: 'rejected', reason: (e as Error).message });
      this.answer(serviceError(e));
    }
  }
}

export function submitUpdate(ctx: ServiceContext): grpc.handleClientStreamingCall<UpdateChunk__Output, SubmitReply> {
  return (call, callback) => {
    const upload = new Upload(ctx, call, callback);
    call.on('data', (msg: UpdateChunk__Output) => upload.onChunk(msg));
    call.on('end', () => upload.onEnd());
    // A node that vanishes mid-upload: drop what arrived; the task stays open until it retries or is dropped.
    call.on('error', () => (upload.answered = true));
    call.on('cancelled', () => (upload.answered = true));
  };
}
