import { equalBytes } from '../crypto/bytes.js';
import { X25519_KEY_BYTES } from '../crypto/x25519.js';
import { checkSizes, keysTranscript, requireSignature, type SecAggVerifier } from './authentication.js';
import { SecAggError } from './errors.js';
import type { ParticipantKeys, SecAggParams } from './messages.js';

/**
 * A node's check of the key broadcast: invited ids, sorted, keys of the right
 * size and never repeated, its own keys unchanged, and in authenticated
 * rounds every peer's keys signed by that peer for this round. Returns copies.
 */
export function checkParticipants(
  participants: readonly ParticipantKeys[],
  params: SecAggParams,
  me: number,
  own: { encryptionPublicKey: Uint8Array; maskPublicKey: Uint8Array },
  verifier: SecAggVerifier | undefined,
): Map<number, ParticipantKeys> {
  const invited = new Set(params.nodeIds);
  const keys = new Set<string>();
  const out = new Map<number, ParticipantKeys>();
  let previous = 0;
  for (const p of participants) {
    if (!invited.has(p.nodeId)) throw new SecAggError('protocol', `participant ${p.nodeId} was not invited`);
    if (p.nodeId <= previous) throw new SecAggError('protocol', 'participants must be sorted by id without repeats');
    previous = p.nodeId;
    for (const key of [p.encryptionPublicKey, p.maskPublicKey]) {
      if (key.length !== X25519_KEY_BYTES) throw new SecAggError('malformed', `participant ${p.nodeId} has a key of ${key.length} bytes`);
      const hex = Buffer.from(key).toString('hex');
      // A repeated key would let the coordinator pose as one node towards another.
      if (keys.has(hex)) throw new SecAggError('protocol', `participant ${p.nodeId} reuses a public key`);
      keys.add(hex);
    }
    const copy: ParticipantKeys = { nodeId: p.nodeId, encryptionPublicKey: p.encryptionPublicKey.slice(), maskPublicKey: p.maskPublicKey.slice() };
    if (params.authenticated) {
      checkSizes(p.nodeId, p.credential, p.signature);
      // Own keys are compared below; every other key is used only once its owner's signature verifies.
      if (p.nodeId !== me) {
        requireSignature(verifier!, p.nodeId, p.credential!, keysTranscript(params.roundId, p.nodeId, p.encryptionPublicKey, p.maskPublicKey), p.signature!, 'the keys relayed');
      }
      Object.assign(copy, { credential: p.credential!.slice(), signature: p.signature!.slice() });
    }
    out.set(p.nodeId, copy);
  }
  const mine = out.get(me);
  if (!mine || !equalBytes(mine.encryptionPublicKey, own.encryptionPublicKey) || !equalBytes(mine.maskPublicKey, own.maskPublicKey)) {
    throw new SecAggError('protocol', `the key broadcast does not carry node ${me}'s own keys`);
  }
  return out;
}
