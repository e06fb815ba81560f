/**
 * Who may look: a random bearer token, printed at start, compared in
 * constant time; a loopback bind by default, and no other bind without TLS
 * (the token would cross the network in the clear).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { PrivmedError } from '../common/errors.js';
import { isLoopbackHost, parseAddress, type HostPort } from '../net/address.js';

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

/** Hashing first gives both sides the same length, so timingSafeEqual leaks neither content nor length. */
export function tokenMatches(expected: string, given: string | null): boolean {
  if (given === null) return false;
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(expected), digest(given));
}

/** `Authorization: Bearer TOKEN`, else `?token=TOKEN` (what a browser's address bar carries). */
export function requestToken(req: IncomingMessage, url: URL): string | null {
  const header = req.headers.authorization;
  const bearer = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (bearer) return bearer[1]!;
  return url.searchParams.get('token');
}

/** PORT or HOST:PORT; a bare port binds 127.0.0.1. */
export function parseListen(spec: string): HostPort {
  if (/^\d{1,5}$/.test(spec)) {
    const port = Number(spec);
    if (port > 65535) throw new PrivmedError(`invalid dashboard port '${spec}'`);
    return { host: '127.0.0.1', port };
  }
  return parseAddress(spec);
}

export function checkBind(host: string, tls: boolean): void {
  if (!tls && !isLoopbackHost(host)) {
    throw new PrivmedError(`the dashboard refuses to listen on ${host} without TLS: its access token would travel in the clear`, {
      hint: 'bind 127.0.0.1 (the default) and use an SSH tunnel, or give a certificate and key (--dashboard-cert/--dashboard-key, or --cert/--key)',
    });
  }
}
