/**
 * gRPC reports every failed TLS handshake as "failed to connect". When a node
 * cannot reach the coordinator, a plain TLS handshake with the same files
 * tells the user why: our CA does not know the coordinator's certificate, or
 * the coordinator refused ours.
 */
import { connect } from 'node:tls';
import { isIP } from 'node:net';
import type { TlsMaterial } from './security.js';

const REFUSED =
  "TLS handshake failed: the coordinator closed the connection after seeing this node's certificate (issued by another CA?)";

export function probeTls(host: string, port: number, tls: TlsMaterial, timeoutMs = 3000): Promise<string | null> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (result: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const socket = connect({
      host,
      port,
      ca: tls.ca,
      cert: tls.cert,
      key: tls.key,
      ALPNProtocols: ['h2'],
      // Verify by hand below, to tell "we do not trust them" from "they do not trust us".
      rejectUnauthorized: false,
      ...(isIP(host) ? {} : { servername: host }),
    });
    const timer = setTimeout(() => done(null), timeoutMs);
    socket.on('secureConnect', () => {
      if (!socket.authorized) return done(`the coordinator's certificate is not trusted: ${String(socket.authorizationError)}`);
      // With TLS 1.3 the server checks our certificate after our side of the handshake is done.
      // A coordinator that accepts us speaks HTTP/2 at once; one that refuses us hangs up.
      socket.on('data', () => done(null));
      socket.on('end', () => done(REFUSED));
      socket.on('close', () => done(REFUSED));
      socket.resume();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (/alert|certificate/i.test(e.message)) done(`TLS handshake failed: ${e.message}`);
      else done(e.code === 'ECONNREFUSED' ? 'connection refused (is the coordinator running?)' : e.message);
    });
  });
}
