/**
 * Unambiguous byte strings for key derivation, commitments and associated
 * data: every field is length-prefixed (or fixed width), so two different
 * (label, round, ids) tuples can never encode to the same bytes.
 */
const PROTOCOL_TAG = 'privmed/secagg/v1';
const utf8 = new TextEncoder();

export function domainBytes(label: string, roundId: string, ...ids: number[]): Uint8Array {
  const parts = [utf8.encode(PROTOCOL_TAG), utf8.encode(label), utf8.encode(roundId)];
  const size = parts.reduce((s, p) => s + 4 + p.length, 0) + 4 * ids.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const p of parts) {
    view.setUint32(at, p.length, true);
    out.set(p, at + 4);
    at += 4 + p.length;
  }
  for (const id of ids) {
    view.setUint32(at, id, true);
    at += 4;
  }
  return out;
}
