/**
 * A peer's certificate relayed by a third party (the coordinator): it must
 * chain to the federation CA, name exactly that peer as its one CN, and be
 * within its validity. Then its public key verifies what the peer signed.
 * Used where nodes authenticate each other through the coordinator
 * (SecAgg+ key adverts and survivor sets).
 */
import { X509Certificate, createPrivateKey, sign, verify, type KeyObject } from 'node:crypto';

/** The checked certificate, or why it does not identify `name`. */
export function peerCertificate(certPem: string, ca: X509Certificate, name: string, now = new Date()): X509Certificate | string {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    return 'carries no readable certificate';
  }
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return 'has a certificate not issued by the federation CA';
  const cn = cert.subject.split('\n').filter((l) => l.startsWith('CN='));
  if (cn.length !== 1 || cn[0] !== `CN=${name}`) return `has a certificate for '${cn.map((l) => l.slice(3)).join(', ') || 'no CN'}', not for '${name}'`;
  if (now < new Date(cert.validFrom) || now > new Date(cert.validTo)) return `has a certificate outside its validity (${cert.validFrom} to ${cert.validTo})`;
  return cert;
}

/** Signs with the private key of this party's own certificate (ECDSA P-256 with SHA-256 for privmed's PKI). */
export function certificateSigner(keyPem: string): (message: Uint8Array) => Uint8Array {
  const key: KeyObject = createPrivateKey(keyPem);
  return (message) => new Uint8Array(sign('sha256', message, key));
}

export function verifiesWith(cert: X509Certificate, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    return verify('sha256', message, cert.publicKey, signature);
  } catch {
    return false;
  }
}
