/**
 * The last step of a SecAgg round at the coordinator, split in two: the
 * secrets are reconstructed and checked here (small, fast), and the masks
 * they stand for are listed as jobs (a key and a sign each), removed from the
 * running sum by whoever runs them: removeMasksHere in this thread, or a
 * caller's worker threads (each mask is a seekable PRG, so ranges of the
 * vector can be done apart). The jobs hold the keys of this round only.
 */
import { equalBytes } from '../crypto/bytes.js';
import { applyMasksRange } from '../crypto/prg.js';
import type { Share } from '../crypto/shamir.js';
import { isClampedScalar, privateKeyObject, x25519PublicKey } from '../crypto/x25519.js';
import { pairwiseMaskKey, selfMaskKey, selfMaskSeedCommitment } from './derive.js';
import { SecAggError } from './errors.js';
import { reconstructSecret, x25519Agree } from './primitives.js';

/** acc += sign * PRG(key). */
export interface MaskJob {
  readonly key: Uint8Array;
  readonly sign: 1 | -1;
}

export type MaskRemover = (acc: Uint32Array, jobs: readonly MaskJob[]) => void;

export const removeMasksHere: MaskRemover = (acc, jobs) => applyMasksRange(acc, jobs, 0, acc.length);

export interface UnmaskState {
  roundId: string;
  threshold: number;
  contributors: readonly number[];
  dropped: readonly number[];
  selfMaskSeedShares: ReadonlyMap<number, Share[]>;
  maskKeyShares: ReadonlyMap<number, Share[]>;
  commitmentOf(u: number): Uint8Array;
  maskPublicKeyOf(v: number): Uint8Array;
  neighboursOf(v: number): readonly number[];
  contributed(u: number): boolean;
}

/** Every contributor's self mask and every dropped node's pairwise masks with the contributors, to subtract. */
export function unmaskJobs(s: UnmaskState): MaskJob[] {
  const t = s.threshold;
  const short = [
    ...s.contributors.filter((u) => (s.selfMaskSeedShares.get(u)?.length ?? 0) < t).map((u) => `self-mask seed of node ${u}`),
    ...s.dropped.filter((v) => (s.maskKeyShares.get(v)?.length ?? 0) < t).map((v) => `mask key of node ${v}`),
  ];
  if (short.length > 0) {
    throw new SecAggError('below-threshold', `fewer than ${t} shares arrived for: ${short.join(', ')}`, {
      hint: 'too many nodes dropped out during unmasking; the round cannot be completed',
    });
  }
  const jobs: MaskJob[] = [];
  for (const u of s.contributors) {
    const seed = checkedSecret(s.selfMaskSeedShares.get(u)!, t, (x) => equalBytes(selfMaskSeedCommitment(x, s.roundId, u), s.commitmentOf(u)));
    if (!seed) throw new SecAggError('protocol', `the self-mask seed of node ${u} does not match its commitment: a share holder sent a wrong share`);
    jobs.push({ key: selfMaskKey(seed, s.roundId, u), sign: -1 });
  }
  for (const v of s.dropped) {
    // X25519 ignores the clamped bits, so check them too: a wrong share must not slip through there.
    const secretKey = checkedSecret(s.maskKeyShares.get(v)!, t, (x) => isClampedScalar(x) && equalBytes(x25519PublicKey(x), s.maskPublicKeyOf(v)));
    if (!secretKey) throw new SecAggError('protocol', `the mask key of node ${v} does not match its public key: a share holder sent a wrong share`);
    const privateKey = privateKeyObject(secretKey);
    for (const u of s.neighboursOf(v)) {
      if (!s.contributed(u)) continue;
      const shared = x25519Agree(privateKey, s.maskPublicKeyOf(u), u);
      // Undo the mask u added for v (u added it if u < v, subtracted it otherwise).
      jobs.push({ key: pairwiseMaskKey(shared, s.roundId, u, v), sign: u < v ? -1 : 1 });
    }
  }
  return jobs;
}

/**
 * The secret from the first t shares, or, when it fails `valid` and more than
 * t holders answered, from the first t of the others with one left out in
 * turn: one holder's wrong share does not fail the round. Null when no such
 * choice passes (two or more wrong shares, or only t of them).
 */
function checkedSecret(shares: readonly Share[], t: number, valid: (secret: Uint8Array) => boolean): Uint8Array | null {
  const attempt = (chosen: readonly Share[]): Uint8Array | null => {
    try {
      const secret = reconstructSecret(chosen, t);
      return valid(secret) ? secret : null;
    } catch (e) {
      // A share that is no field element is a wrong share too.
      if (e instanceof SecAggError) return null;
      throw e;
    }
  };
  const first = attempt(shares);
  if (first || shares.length <= t) return first;
  for (let out = 0; out < shares.length; out++) {
    const secret = attempt(shares.filter((_, i) => i !== out));
    if (secret) return secret;
  }
  return null;
}
