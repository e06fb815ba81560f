import { SECRET_BYTES, type Share } from '../crypto/shamir.js';
import { SecAggError } from './errors.js';
import type { ShareKeysMessage } from './messages.js';
import { shareCiphertextBytes } from './share-encryption.js';

/** An unmasking response must carry shares for exactly the owners it was asked about, each of the right length. */
export function checkOwners(shares: readonly { owner: number; share: Uint8Array }[], asked: readonly number[], from: number, kind: string): void {
  const owners = shares.map((s) => s.owner).sort((a, b) => a - b);
  if (owners.length !== asked.length || owners.some((v, i) => v !== asked[i])) {
    throw new SecAggError('protocol', `node ${from} sent ${kind} shares for [${owners.join(', ')}], asked for [${asked.join(', ')}]`);
  }
  for (const s of shares) {
    if (s.share.length !== SECRET_BYTES) throw new SecAggError('malformed', `node ${from} sent a ${kind} share of ${s.share.length} bytes`);
  }
}

export function pushShare(map: Map<number, Share[]>, owner: number, share: Share): void {
  const list = map.get(owner);
  if (list) list.push(share);
  else map.set(owner, [share]);
}

/** A share-keys message: a 32-byte commitment and exactly one ciphertext of the right size per neighbour. */
export function checkShareKeys(message: ShareKeysMessage, neighbours: readonly number[]): void {
  const id = message.nodeId;
  if (message.selfMaskSeedCommitment.length !== 32) throw new SecAggError('malformed', `node ${id} sent a bad self-mask commitment`);
  const recipients = message.shares.map((s) => s.to).sort((a, b) => a - b);
  if (recipients.length !== neighbours.length || recipients.some((v, i) => v !== neighbours[i])) {
    throw new SecAggError('protocol', `node ${id} must send exactly one ciphertext to each of its ${neighbours.length} neighbours`);
  }
  const expectedBytes = shareCiphertextBytes(2 * SECRET_BYTES);
  for (const s of message.shares) {
    if (s.ciphertext.length !== expectedBytes) throw new SecAggError('malformed', `node ${id} sent a ciphertext of ${s.ciphertext.length} bytes`);
  }
}
