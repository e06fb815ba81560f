/**
 * How a process secures its gRPC connection: mutual TLS with files issued by
 * `privmed certs init`, or - only for loopback experiments - explicitly insecure.
 */
import { readFileSync } from 'node:fs';
import { PrivmedError } from '../common/errors.js';
import { isLoopbackHost } from './address.js';

export interface TlsFiles {
  /** The CA certificate that the peer's certificate must chain to. */
  ca: string;
  /** This process's own certificate and private key. */
  cert: string;
  key: string;
}

export type Security = { tls: TlsFiles; insecure?: false } | { insecure: true; tls?: undefined };

export interface TlsMaterial {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : String(cause);
    throw new PrivmedError(`${what} ${path}: ${reason}`, { hint: 'create certificates with: privmed certs init', cause });
  }
}

export function readTlsMaterial(files: TlsFiles): TlsMaterial {
  return {
    ca: readPem(files.ca, 'CA certificate'),
    cert: readPem(files.cert, 'certificate'),
    key: readPem(files.key, 'private key'),
  };
}

/** Insecure mode is refused off loopback, and always announced loudly. */
export function allowInsecure(host: string, role: string): void {
  if (!isLoopbackHost(host)) {
    throw new PrivmedError(`${role}: insecure mode is only allowed on the loopback interface, not on '${host}'`, {
      hint: 'configure tls (ca, cert, key) from privmed certs init',
    });
  }
  process.emitWarning(
    `${role}: INSECURE mode - no TLS, no authentication; node names are taken on trust. Use only for loopback experiments.`,
    { code: 'PRIVMED_INSECURE' },
  );
}
