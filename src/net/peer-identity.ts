/**
 * Who is calling: the CN of the client certificate of this very call's TLS
 * connection. The TLS handshake already checked that the certificate chains
 * to our CA (checkClientCertificate); the allow-list check is ours, per call.
 * (call.getPeer() is only an address and proves nothing.)
 */
import * as grpc from '@grpc/grpc-js';

export type AuthorizableCall = Pick<grpc.ServerUnaryCall<unknown, unknown>, 'getAuthContext' | 'getPeer'>;

export class AccessDenied extends Error {
  constructor(readonly code: grpc.status, message: string) {
    super(message);
  }
}

export function peerCommonName(call: AuthorizableCall): string {
  const ctx = call.getAuthContext();
  const cert = ctx?.sslPeerCertificate;
  if (ctx?.transportSecurityType !== 'ssl' || !cert) {
    throw new AccessDenied(grpc.status.UNAUTHENTICATED, `no verified client certificate from ${call.getPeer()}`);
  }
  // Node types subject fields as strings, but repeated attributes arrive as arrays.
  const cn: unknown = cert.subject?.CN;
  // A certificate with several CNs is ambiguous: refuse rather than pick one.
  if (typeof cn !== 'string' || cn.length === 0) {
    throw new AccessDenied(grpc.status.UNAUTHENTICATED, `client certificate from ${call.getPeer()} has no single CN`);
  }
  return cn;
}
