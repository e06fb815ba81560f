/**
 * Refusals: a node that will not take (further) part in a task - its trainer
 * declined the fit (e.g. DP budget spent), it cannot report statistics, or a
 * protocol's own checks failed - answers with a refusal payload instead of
 * values. Any protocol, plain or secure, may send one; the coordinator logs
 * the reason and counts the node as rejected for that task.
 */
import { printable } from '../../common/printable.js';
import type { NodeReply } from './task.js';

const REFUSAL_MAGIC = Buffer.from('PRIVMED-REFUSED\n', 'utf8');

/** A reply that says the node will not take (further) part in this round, and why. */
export function encodeRefusal(reason: string): Buffer {
  return Buffer.concat([REFUSAL_MAGIC, Buffer.from(reason, 'utf8')]);
}

/** The refusal reason, or null when the payload is not a refusal. */
export function decodeRefusal(payload: Uint8Array): string | null {
  const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  if (bytes.length < REFUSAL_MAGIC.length || !bytes.subarray(0, REFUSAL_MAGIC.length).equals(REFUSAL_MAGIC)) return null;
  return bytes.subarray(REFUSAL_MAGIC.length).toString('utf8');
}

/** The whole reply of a refusing node: the reason, no values. */
export function refusalReply(reason: string): NodeReply {
  return { tensors: null, numSamples: 0, metrics: {}, payload: encodeRefusal(reason) };
}

/** How the coordinator reports a refusal in a reply payload, or null when there is none. */
export function refusalOf(payload: Uint8Array | undefined): string | null {
  const reason = payload && payload.length ? decodeRefusal(payload) : null;
  return reason === null ? null : `the node refused: ${printable(reason)}`;
}
