/**
 * What the Coordinator service's handlers share: the run's state, how a call
 * is authorised, and how errors become gRPC statuses. Every call is
 * authorised on its own: the client certificate's CN (from this call's TLS
 * connection) must be on the allow-list and, for calls with a session, must
 * own the session.
 */
import { printable } from '../../common/printable.js';
import * as grpc from '@grpc/grpc-js';
import { PrivmedError } from '../../common/errors.js';
import { MessageTooLargeError, type WireLimits } from '../wire/limits.js';
import { AccessDenied, peerCommonName, type AuthorizableCall } from '../../net/peer-identity.js';
import type { EventSink } from './events.js';
import type { NodeRegistry, Session } from './node-registry.js';
import type { TaskBoard } from './task-board.js';
import type { LedgerHeads } from '../store/ledger-heads.js';

export interface ServiceContext {
  runName: string;
  registry: NodeRegistry;
  board: TaskBoard;
  allowedNodes: ReadonlySet<string>;
  insecure: boolean;
  limits: WireLimits;
  /** The largest sample count a node may report (validation.maxNumSamples). */
  maxNumSamples: number;
  heartbeatIntervalMs: number;
  pollTimeoutMs: number;
  /** The privacy ledger heads nodes reported: stored with each reply, sent back with each task. */
  ledgerHeads?: LedgerHeads;
  events: EventSink;
  /** Non-null once the run is over: the message nodes get with FINISHED. */
  finished(): string | null;
  onJoin(node: string, rejoined: boolean): void;
  /** Called when a session has been told that the run is over. */
  onFinishedDelivered(sessionId: string): void;
}

export class UnknownSession extends Error {}

export const LATE = 'late or unknown task: the round no longer waits for it';

export function serviceError(error: unknown): Partial<grpc.StatusObject> {
  if (error instanceof AccessDenied) return { code: error.code, details: error.message };
  if (error instanceof UnknownSession) return { code: grpc.status.FAILED_PRECONDITION, details: error.message };
  if (error instanceof MessageTooLargeError) return { code: grpc.status.RESOURCE_EXHAUSTED, details: error.message };
  if (error instanceof PrivmedError) return { code: grpc.status.INVALID_ARGUMENT, details: error.message };
  return { code: grpc.status.INTERNAL, details: `internal error: ${(error as Error)?.message ?? String(error)}` };
}

function deny(ctx: ServiceContext, call: AuthorizableCall, error: AccessDenied): never {
  ctx.events({ type: 'access-denied', peer: call.getPeer(), reason: error.message });
  throw error;
}

/** The caller's node name: its certificate CN, or (insecure mode only) the name it claims. */
function callerName(ctx: ServiceContext, call: AuthorizableCall, claimed?: string): string | null {
  if (ctx.insecure) return claimed ?? null;
  try {
    return peerCommonName(call);
  } catch (e) {
    return deny(ctx, call, e as AccessDenied);
  }
}

export function authorizeJoin(ctx: ServiceContext, call: AuthorizableCall, nodeName: string): string {
  const name = callerName(ctx, call, nodeName);
  if (!name) return deny(ctx, call, new AccessDenied(grpc.status.INVALID_ARGUMENT, 'no node name given'));
  if (!ctx.allowedNodes.has(name)) {
    return deny(ctx, call, new AccessDenied(grpc.status.PERMISSION_DENIED, `node '${printable(name, 64)}' is not on the coordinator's allow-list`));
  }
  return name;
}

export function authorizeSession(ctx: ServiceContext, call: AuthorizableCall, sessionId: string): Session {
  const cn = callerName(ctx, call);
  if (cn !== null && !ctx.allowedNodes.has(cn)) {
    return deny(ctx, call, new AccessDenied(grpc.status.PERMISSION_DENIED, `node '${cn}' is not on the coordinator's allow-list`));
  }
  const session = ctx.registry.get(sessionId);
  if (!session) throw new UnknownSession('unknown session (the coordinator restarted or declared the node lost): join again');
  if (cn !== null && session.node !== cn) {
    return deny(ctx, call, new AccessDenied(grpc.status.PERMISSION_DENIED, `certificate '${cn}' does not own the session of node '${session.node}'`));
  }
  ctx.registry.touch(session);
  return session;
}
