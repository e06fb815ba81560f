/**
 * How the node tells a coordinator that is away (retry), restarted (rejoin)
 * or refusing it (fatal) apart, and waits between tries.
 */
import * as grpc from '@grpc/grpc-js';

export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    // The listener goes when the sleep ends either way: a node waits thousands of times on one signal.
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

export type Failure = 'rejoin' | 'retry' | 'fatal';

export function classify(error: unknown): Failure {
  const code = (error as grpc.ServiceError)?.code;
  switch (code) {
    case grpc.status.FAILED_PRECONDITION:
      return 'rejoin';
    case grpc.status.UNAVAILABLE:
    case grpc.status.DEADLINE_EXCEEDED:
    case grpc.status.CANCELLED:
    case grpc.status.INTERNAL:
    case grpc.status.UNKNOWN:
      return 'retry';
    default:
      return 'fatal';
  }
}

export function isGrpcError(error: unknown): error is grpc.ServiceError {
  return typeof (error as grpc.ServiceError)?.code === 'number' && 'details' in (error as object);
}

export function errorText(error: unknown): string {
  const e = error as grpc.ServiceError;
  return e?.details || e?.message || String(error);
}
