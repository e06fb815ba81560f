/**
 * Mutual-TLS transport for gRPC: addresses, TLS material, peer identity,
 * channel options, a handshake probe, and the PKI that issues the certificates.
 * Depends only on common/ and npm packages.
 */
export { parseAddress, formatAddress, isLoopbackHost, type HostPort } from './address.js';
export { serverOptions, channelOptions } from './grpc-options.js';
export { peerCommonName, AccessDenied, type AuthorizableCall } from './peer-identity.js';
export { readTlsMaterial, allowInsecure, type TlsFiles, type TlsMaterial, type Security } from './security.js';
export { TlsConfigSchema } from './tls-config.js';
export { probeTls } from './tls-probe.js';
export { peerCertificate, certificateSigner, verifiesWith } from './certs/peer-certificate.js';
export {
  checkNodeName,
  createCertificateAuthority,
  issueCertificate,
  loadCertificateAuthority,
  NODE_NAME_PATTERN,
  type CertificateAuthority,
  type IssueOptions,
  type KeyAndCert,
} from './certs/pki.js';
export {
  addNode,
  initPki,
  nodeCertPaths,
  pkiPaths,
  DEFAULT_COORDINATOR_HOSTS,
  DEFAULT_VALID_DAYS,
  type InitPkiOptions,
  type InitPkiResult,
  type PkiPaths,
} from './certs/pki-files.js';
