/**
 * Node-to-node keys of the CKKS protocol, set up once per run through the
 * coordinator, which relays but cannot sit in the middle:
 *
 * - each node advertises a fresh X25519 public key signed with the private
 *   key of its mTLS certificate, over the run's public context (run id,
 *   roster, parameters); every node checks the certificate against the
 *   federation CA, its CN against the roster name, and the signature;
 * - pairwise keys (X25519 + HKDF) then carry the Shamir shares of the CKKS
 *   key and the consortium key, AEAD-sealed with sender, receiver and
 *   purpose bound as associated data;
 * - the consortium key (which pads the decryption shares, src/he/decrypt.ts)
 *   is drawn by the first node of the roster and sealed to every other node.
 *
 * The coordinator sees certificates, public keys, signatures and sealed
 * bytes only.
 */
import { X509Certificate, sign, verify } from 'node:crypto';
import { PrivmedError } from '../../../common/errors.js';
import {
  X25519_KEY_BYTES,
  generateX25519KeyPair,
  hkdfSha256,
  openAead,
  sealAead,
  x25519Agree,
  type RandomSource,
  type X25519KeyPair,
} from '../../../crypto/index.js';

export interface NodeCredentials {
  name: string;
  certPem: string;
  keyPem: string;
  caPem: string;
}

export interface KeyAdvert {
  node: string;
  certPem: string;
  x25519: Uint8Array;
  signature: Uint8Array;
}

const encoder = new TextEncoder();

function advertMessage(context: Uint8Array, node: string, x25519: Uint8Array): Uint8Array {
  const head = encoder.encode(`privmed/ckks/key-advert/v1\0${node}\0`);
  const out = new Uint8Array(head.length + context.length + x25519.length);
  out.set(head);
  out.set(context, head.length);
  out.set(x25519, head.length + context.length);
  return out;
}

export function makeAdvert(creds: NodeCredentials, context: Uint8Array, random: RandomSource): { advert: KeyAdvert; keys: X25519KeyPair } {
  const keys = generateX25519KeyPair(random);
  const signature = new Uint8Array(sign('sha256', advertMessage(context, creds.name, keys.publicKey), creds.keyPem));
  return { advert: { node: creds.name, certPem: creds.certPem, x25519: keys.publicKey, signature }, keys };
}

/** The advertised X25519 key of `expected`, or an error that names the node and the check it failed. */
export function checkAdvert(advert: KeyAdvert, expected: string, context: Uint8Array, caPem: string, now = new Date()): Uint8Array {
  const refuse = (why: string): never => {
    throw new PrivmedError(`ckks key setup: the key advertised for ${expected} ${why}`);
  };
  if (advert.node !== expected) refuse(`names node '${advert.node}'`);
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(advert.certPem);
  } catch {
    return refuse('carries no readable certificate');
  }
  if (!cert.verify(new X509Certificate(caPem).publicKey)) refuse('has a certificate not issued by the federation CA');
  const cn = cert.subject.split('\n').filter((l) => l.startsWith('CN='));
  if (cn.length !== 1 || cn[0] !== `CN=${expected}`) refuse(`has a certificate for '${cn.join(', ') || 'no CN'}'`);
  if (now < new Date(cert.validFrom) || now > new Date(cert.validTo)) refuse(`has a certificate outside its validity (${cert.validFrom} to ${cert.validTo})`);
  if (advert.x25519.length !== X25519_KEY_BYTES) refuse(`is ${advert.x25519.length} bytes, expected ${X25519_KEY_BYTES}`);
  if (!verify('sha256', advertMessage(context, expected, advert.x25519), cert.publicKey, advert.signature)) {
    refuse('does not carry its signature over this run (substituted key, or a replay from another run)');
  }
  return advert.x25519;
}

/** The key node `me` shares with node `peer`; both compute the same bytes. */
export function pairwiseKey(mine: X25519KeyPair, me: string, peer: string, peerPublic: Uint8Array, context: Uint8Array): Uint8Array {
  const [a, b] = [me, peer].sort();
  return hkdfSha256(x25519Agree(mine.privateKey, peerPublic), context, encoder.encode(`privmed/ckks/pair/v1\0${a}\0${b}`));
}

function associated(purpose: string, from: string, to: string): Uint8Array {
  return encoder.encode(`privmed/ckks/sealed/v1\0${purpose}\0${from}\0${to}`);
}

export function sealToPeer(key: Uint8Array, purpose: string, from: string, to: string, payload: Uint8Array, random: RandomSource): Uint8Array {
  return sealAead(key, payload, associated(purpose, from, to), random);
}

export function openFromPeer(key: Uint8Array, purpose: string, from: string, to: string, sealed: Uint8Array): Uint8Array {
  try {
    return openAead(key, sealed, associated(purpose, from, to));
  } catch (cause) {
    throw new PrivmedError(`ckks key setup: the ${purpose} from ${from} to ${to} fails authentication (tampered or misrouted)`, { cause });
  }
}
