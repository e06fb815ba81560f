/**
 * The on-disk layout of a privmed PKI folder:
 *
 *   ca.crt, ca.key                     the certificate authority (keep ca.key offline)
 *   coordinator.crt, coordinator.key   the coordinator's server certificate
 *   nodes/<name>.crt, nodes/<name>.key one client certificate per node (CN = name)
 *
 * Private keys are written with mode 0600.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PrivmedError } from '../../common/errors.js';
import {
  checkNodeName,
  createCertificateAuthority,
  issueCertificate,
  loadCertificateAuthority,
  type CertificateAuthority,
  type KeyAndCert,
} from './pki.js';

export const DEFAULT_VALID_DAYS = 365;
/** Always in the coordinator's certificate, so that loopback runs work out of the box. */
export const DEFAULT_COORDINATOR_HOSTS = ['127.0.0.1', 'localhost'];

export interface PkiPaths {
  caCert: string;
  caKey: string;
  coordinatorCert: string;
  coordinatorKey: string;
}

export function pkiPaths(dir: string): PkiPaths {
  return {
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    coordinatorCert: join(dir, 'coordinator.crt'),
    coordinatorKey: join(dir, 'coordinator.key'),
  };
}

export function nodeCertPaths(dir: string, node: string): { cert: string; key: string } {
  checkNodeName(node);
  return { cert: join(dir, 'nodes', `${node}.crt`), key: join(dir, 'nodes', `${node}.key`) };
}

function writePair(pair: KeyAndCert, certPath: string, keyPath: string): void {
  writeFileSync(certPath, pair.certPem, { mode: 0o644 });
  writeFileSync(keyPath, pair.keyPem, { mode: 0o600 });
  chmodSync(keyPath, 0o600); // writeFileSync keeps the mode of an existing file
}

function refuseOverwrite(paths: string[], force: boolean): void {
  if (force) return;
  const existing = paths.filter((p) => existsSync(p));
  if (existing.length > 0) {
    throw new PrivmedError(`refusing to overwrite ${existing.join(', ')}`, {
      hint: 'choose another folder or pass --force',
    });
  }
}

export interface InitPkiOptions {
  outDir: string;
  nodes: string[];
  /** Extra host names or IP addresses for the coordinator certificate. */
  hosts?: string[];
  validDays?: number;
  force?: boolean;
}

export interface InitPkiResult {
  paths: PkiPaths;
  nodes: Record<string, { cert: string; key: string }>;
}

export async function initPki(options: InitPkiOptions): Promise<InitPkiResult> {
  const validDays = options.validDays ?? DEFAULT_VALID_DAYS;
  if (options.nodes.length === 0) throw new PrivmedError('no node names given', { hint: 'pass --nodes alice,bob' });
  if (new Set(options.nodes).size !== options.nodes.length) throw new PrivmedError('a node name is given twice');
  options.nodes.forEach(checkNodeName);
  const paths = pkiPaths(options.outDir);
  const nodePaths = Object.fromEntries(options.nodes.map((n) => [n, nodeCertPaths(options.outDir, n)]));
  refuseOverwrite(
    [...Object.values(paths), ...Object.values(nodePaths).flatMap((p) => [p.cert, p.key])],
    options.force ?? false,
  );
  mkdirSync(join(options.outDir, 'nodes'), { recursive: true });

  const ca = await createCertificateAuthority('privmed CA', validDays);
  writePair(ca, paths.caCert, paths.caKey);
  const hosts = [...new Set([...DEFAULT_COORDINATOR_HOSTS, ...(options.hosts ?? [])])];
  const coordinator = await issueCertificate(ca, { commonName: 'privmed coordinator', role: 'server', hosts, validDays });
  writePair(coordinator, paths.coordinatorCert, paths.coordinatorKey);
  for (const node of options.nodes) await writeNodeCert(ca, options.outDir, node, validDays);
  return { paths, nodes: nodePaths };
}

async function writeNodeCert(ca: CertificateAuthority, dir: string, node: string, validDays: number): Promise<void> {
  const pair = await issueCertificate(ca, { commonName: node, role: 'client', validDays });
  const p = nodeCertPaths(dir, node);
  writePair(pair, p.cert, p.key);
}

/** Issues a certificate for one more node with an existing CA folder. */
export async function addNode(dir: string, node: string, options: { validDays?: number; force?: boolean } = {}): Promise<{ cert: string; key: string }> {
  const paths = pkiPaths(dir);
  for (const p of [paths.caCert, paths.caKey]) {
    if (!existsSync(p)) throw new PrivmedError(`${p} not found`, { hint: 'run privmed certs init first' });
  }
  const target = nodeCertPaths(dir, node);
  refuseOverwrite([target.cert, target.key], options.force ?? false);
  mkdirSync(join(dir, 'nodes'), { recursive: true });
  const ca = await loadCertificateAuthority(readFileSync(paths.caCert, 'utf8'), readFileSync(paths.caKey, 'utf8'));
  await writeNodeCert(ca, dir, node, options.validDays ?? DEFAULT_VALID_DAYS);
  return target;
}
