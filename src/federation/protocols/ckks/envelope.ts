/**
 * What the CKKS tasks and replies carry: small JSON in the payload, and the
 * large byte strings (ciphertexts, shares, sealed key material) as one
 * float32 tensor, so that they ride the chunked tensor transfer in both
 * directions instead of the size-limited message header.
 */
import { PrivmedError } from '../../../common/errors.js';
import type { NamedTensor } from '../../wire/tensors.js';

export const CKKS_STAGES = {
  fit: 'ckks/fit',
  advertise: 'ckks/advertise',
  deal: 'ckks/deal',
  finish: 'ckks/finish',
  share: 'ckks/share',
  open: 'ckks/open',
} as const;

export const CKKS_BYTES_TENSOR = 'ckks/bytes';
/** Bounds on what a party accepts: far above a ResNet-18 (1,400 chunks) or a roster of 64. */
const MAX_PARTS = 4096;

/** Parts -> [count u32, (length u32, bytes)*], zero-padded to whole float32 words. */
export function bytesTensor(parts: readonly Uint8Array[]): NamedTensor {
  const size = 4 + parts.reduce((n, p) => n + 4 + p.length, 0);
  const data = new Float32Array(Math.ceil(size / 4));
  const bytes = new Uint8Array(data.buffer);
  const view = new DataView(data.buffer);
  view.setUint32(0, parts.length, true);
  let at = 4;
  for (const p of parts) {
    view.setUint32(at, p.length, true);
    bytes.set(p, at + 4);
    at += 4 + p.length;
  }
  return { name: CKKS_BYTES_TENSOR, shape: [data.length], data };
}

/** The parts back, each a copy; refuses anything but exactly `count` well-formed parts from `who`. */
export function tensorBytes(tensors: readonly NamedTensor[] | null, count: number, who: string): Uint8Array[] {
  const t = tensors?.length === 1 && tensors[0]!.name === CKKS_BYTES_TENSOR ? tensors[0]! : null;
  if (!t) throw new PrivmedError(`ckks: ${who} carries no '${CKKS_BYTES_TENSOR}' tensor`);
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (why: string): never => {
    throw new PrivmedError(`ckks: ${who} is malformed: ${why}`);
  };
  if (bytes.length < 4) bad('shorter than its header');
  const n = view.getUint32(0, true);
  if (n !== count || n > MAX_PARTS) bad(`${n} parts, expected ${count}`);
  const parts: Uint8Array[] = [];
  let at = 4;
  for (let i = 0; i < n; i++) {
    if (at + 4 > bytes.length) bad(`truncated at part ${i}`);
    const len = view.getUint32(at, true);
    if (at + 4 + len > bytes.length) bad(`part ${i} runs past the end`);
    parts.push(bytes.slice(at + 4, at + 4 + len));
    at += 4 + len;
  }
  if (bytes.length - at >= 4) bad(`${bytes.length - at} trailing bytes`);
  return parts;
}

/** A JSON payload, bounded; `who` names the sender in errors. */
export function jsonPayload(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

export function readJson<T>(payload: Uint8Array, who: string, valid: (v: unknown) => v is T): T {
  if (payload.length > 1 << 20) throw new PrivmedError(`ckks: ${who} has a ${payload.length}-byte payload, more than 1 MiB`);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    throw new PrivmedError(`ckks: ${who} is not JSON`);
  }
  if (!valid(value)) throw new PrivmedError(`ckks: ${who} does not have the expected fields`);
  return value;
}

export const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
export const unb64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
