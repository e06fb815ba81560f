/** host:port addresses of the coordinator, and whether a host is the loopback interface. */
import { isIP } from 'node:net';
import { PrivmedError } from '../common/errors.js';

export interface HostPort {
  host: string;
  port: number;
}

export function parseAddress(address: string): HostPort {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(address);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) {
    throw new PrivmedError(`invalid address '${address}'`, { hint: 'write host:port, e.g. 127.0.0.1:50051' });
  }
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

export function formatAddress({ host, port }: HostPort): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}
