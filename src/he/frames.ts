import { equalBytes } from '../crypto/bytes.js';
import { HeError } from './errors.js';
import { parseDataCiphertext, type HeContext } from './context.js';
import { firstWordOutOfRange, polyWords } from './rns.js';

/**
 * What travels: a 44-byte binding header (magic, node id, chunk index, the
 * 32-byte id of the round or aggregate it belongs to) before the payload,
 * so a frame replayed into another round, chunk or node's slot is refused.
 * Uploads carry a SEAL ciphertext; shares and combined results carry N L
 * raw words (they are uniform to the coordinator, nothing else to check
 * but the range).
 */
const BINDING_ID_BYTES = 32;
const HEAD = 4 + 4 + 4 + BINDING_ID_BYTES;

export type FrameKind = 'upload' | 'share' | 'combined';
const MAGIC: Record<FrameKind, number> = { upload: 0x31555850, share: 0x31535850, combined: 0x31435850 }; // 'PXU1', 'PXS1', 'PXC1'

export interface Binding {
  node: number; // sender (upload, share) or receiver-independent 0 (combined)
  chunk: number;
  id: Uint8Array; // round id digest (upload) or aggregate id (share, combined)
}

export function frame(kind: FrameKind, b: Binding, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEAD + payload.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, MAGIC[kind], true);
  dv.setUint32(4, b.node, true);
  dv.setUint32(8, b.chunk, true);
  out.set(b.id, 12);
  out.set(payload, HEAD);
  return out;
}

function unframe(kind: FrameKind, bytes: Uint8Array, want: Binding, what: string): Uint8Array {
  if (bytes.length < HEAD) throw new HeError('malformed', `${what}: truncated frame of ${bytes.length} bytes`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) !== MAGIC[kind]) throw new HeError('malformed', `${what}: not a ${kind} frame`);
  const node = dv.getUint32(4, true);
  const chunk = dv.getUint32(8, true);
  if (node !== want.node) throw new HeError('replayed', `${what}: frame is from node ${node}, expected node ${want.node}`);
  if (chunk !== want.chunk) throw new HeError('replayed', `${what}: frame is for chunk ${chunk}, expected chunk ${want.chunk}`);
  if (!equalBytes(bytes.subarray(12, HEAD), want.id)) throw new HeError('replayed', `${what}: frame belongs to another ${kind === 'upload' ? 'round' : 'aggregate'}`);
  return bytes.subarray(HEAD);
}

/** An uploaded ciphertext: binding, then a fresh (scale Delta, NTT, data level) SEAL ciphertext. */
export function parseUpload(he: HeContext, bytes: Uint8Array, want: Binding, what: string): Uint8Array {
  const body = unframe('upload', bytes, want, what);
  parseDataCiphertext(he, body, what, 2 ** he.params.scaleBits);
  return body;
}

/** A share or combined result: N L words below their primes. */
export function parseWords(he: HeContext, kind: 'share' | 'combined', bytes: Uint8Array, want: Binding, what: string): Uint32Array {
  const body = unframe(kind, bytes, want, what);
  const expected = 8 * polyWords(he.data);
  if (body.length !== expected) throw new HeError('malformed', `${what}: expected ${expected} bytes of words, got ${body.length}${body.length < expected ? ' (truncated)' : ''}`);
  const words = new Uint32Array(body.slice().buffer);
  const bad = firstWordOutOfRange(he.data, words);
  if (bad >= 0) throw new HeError('malformed', `${what}: word ${bad} is not below its prime`);
  return words;
}

export function wordsPayload(words: Uint32Array): Uint8Array {
  return new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
}
