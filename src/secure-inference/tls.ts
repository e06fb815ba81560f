/**
 * Mutual TLS for the three roles, from a folder written by `privmed smpc
 * certs` (the federation's CA and issuer, src/net/certs): ca.crt, and per
 * role NAME.crt / NAME.key. The dealer and the model owner serve; the model
 * owner also calls the dealer, with a client certificate of the same CN.
 */
import { mkdirSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { createCertificateAuthority, issueCertificate, readTlsMaterial, type KeyAndCert, type TlsMaterial } from '../net/index.js';

export const ROLE_NAMES = { dealer: 'dealer', modelOwner: 'model-owner', dataOwner: 'data-owner' } as const;

export function roleTls(dir: string, file: string): TlsMaterial {
  return readTlsMaterial({ ca: join(dir, 'ca.crt'), cert: join(dir, `${file}.crt`), key: join(dir, `${file}.key`) });
}

export function serverCredentials(tls: TlsMaterial): grpc.ServerCredentials {
  return grpc.ServerCredentials.createSsl(tls.ca, [{ private_key: tls.key, cert_chain: tls.cert }], true);
}

export function clientCredentials(tls: TlsMaterial): grpc.ChannelCredentials {
  return grpc.credentials.createSsl(tls.ca, tls.key, tls.cert);
}

function write(dir: string, name: string, pair: KeyAndCert): void {
  writeFileSync(join(dir, `${name}.crt`), pair.certPem, { mode: 0o644 });
  writeFileSync(join(dir, `${name}.key`), pair.keyPem, { mode: 0o600 });
  chmodSync(join(dir, `${name}.key`), 0o600);
}

/** A CA and the four certificates: dealer and model owner servers, model owner and data owner clients. */
export async function writeSmpcPki(dir: string, hosts: string[] = ['127.0.0.1', 'localhost'], validDays = 365): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const ca = await createCertificateAuthority('privmed smpc CA', validDays);
  write(dir, 'ca', ca);
  write(dir, 'dealer', await issueCertificate(ca, { commonName: ROLE_NAMES.dealer, role: 'server', hosts, validDays }));
  write(dir, 'model-owner', await issueCertificate(ca, { commonName: ROLE_NAMES.modelOwner, role: 'server', hosts, validDays }));
  write(dir, 'model-owner-client', await issueCertificate(ca, { commonName: ROLE_NAMES.modelOwner, role: 'client', validDays }));
  write(dir, 'data-owner', await issueCertificate(ca, { commonName: ROLE_NAMES.dataOwner, role: 'client', validDays }));
}
