/**
 * SecAgg+'s authentication (src/secagg/authentication.ts) with the nodes'
 * mTLS identities: a node signs with the private key of its certificate and
 * sends the certificate along; a verifier checks that certificate against
 * the federation CA and the roster name of the claimed id, then the
 * signature. The coordinator relays certificates, it cannot make one.
 */
import { X509Certificate } from 'node:crypto';
import { PrivmedError } from '../../../common/errors.js';
import { certificateSigner, peerCertificate, verifiesWith } from '../../../net/index.js';
import type { SecAggSigner, SecAggVerifier } from '../../../secagg/index.js';

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export function nodeSigner(certPem: string, keyPem: string): SecAggSigner {
  const sign = certificateSigner(keyPem);
  return { credential: utf8.encode(certPem), sign };
}

/** Checks signatures of the nodes of one round: `nameOf(id)` is the roster name the round gives that id. */
export function certificateVerifier(caPem: string, nameOf: (nodeId: number) => string | undefined): SecAggVerifier {
  let ca: X509Certificate;
  try {
    ca = new X509Certificate(caPem);
  } catch (cause) {
    throw new PrivmedError('secure aggregation: the federation CA certificate cannot be read', { cause });
  }
  // One certificate check per node and round, however many signatures it makes.
  const checked = new Map<string, X509Certificate | string>();
  return {
    check(nodeId, credential, transcript, signature) {
      const name = nameOf(nodeId);
      if (name === undefined) return `id ${nodeId} has no name on the round's roster`;
      let pem: string;
      try {
        pem = strictUtf8.decode(credential);
      } catch {
        return 'carries a credential that is not a PEM certificate';
      }
      const key = `${name}\0${pem}`;
      let cert = checked.get(key);
      if (cert === undefined) checked.set(key, (cert = peerCertificate(pem, ca, name)));
      if (typeof cert === 'string') return `${name} ${cert}`;
      if (!verifiesWith(cert, transcript, signature)) return `not signed by ${name} (a substituted key, a forged signature, or one replayed from another round)`;
      return null;
    },
  };
}
