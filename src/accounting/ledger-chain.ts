/**
 * The privacy ledger's hash chain. Each entry commits to the one before it:
 * chain_i = SHA-256(chain_{i-1} || id || site || kind || mechanism || time || note),
 * from a fixed genesis value. Triggers in the same file are no integrity (a
 * user can drop them, or delete the file); what protects the budget is the
 * chain's head (entries, hash) recorded OUTSIDE the ledger, in the run plan
 * beside a training run's checkpoint and in a federation's database. A ledger
 * that no longer extends a recorded head was deleted, truncated or rewritten.
 */
import { createHash } from 'node:crypto';
import { PrivmedError } from '../common/errors.js';

export interface LedgerHead {
  /** Entries covered. */
  readonly entries: number;
  /** Hex SHA-256 of the chain after them. */
  readonly hash: string;
}

export const GENESIS = createHash('sha256').update('privmed privacy ledger v1').digest('hex');

/** The stored fields an entry's link covers (mechanism as the JSON text stored). */
export interface ChainedRow {
  readonly id: number;
  readonly site: string;
  readonly kind: string;
  readonly mechanism: string;
  readonly recorded_at: string;
  readonly note: string;
}

export function chainLink(previous: string, row: ChainedRow): string {
  const h = createHash('sha256').update(previous, 'hex');
  // Length-prefixed fields: no two different rows hash the same bytes.
  for (const field of [String(row.id), row.site, row.kind, row.mechanism, row.recorded_at, row.note]) {
    const bytes = Buffer.from(field, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length);
    h.update(len).update(bytes);
  }
  return h.digest('hex');
}

/** The ledger was deleted, truncated or rewritten since a head was recorded, or its chain is broken. */
export class LedgerIntegrityError extends PrivmedError {
  constructor(message: string) {
    super(message, {
      hint: 'restore the ledger file from a backup; the privacy spent on this data cannot be known without it, so privmed will not train or report on it',
    });
    this.name = 'LedgerIntegrityError';
  }
}

/** Checks a recorded head against the chain values after each entry (chain[i] covers entries 0..i). */
export function checkExtends(file: string, chain: readonly string[], recorded: LedgerHead, recordedWhere: string): void {
  if (!(Number.isSafeInteger(recorded.entries) && recorded.entries >= 0) || typeof recorded.hash !== 'string') {
    throw new LedgerIntegrityError(`${recordedWhere}: the recorded privacy ledger head is malformed`);
  }
  if (chain.length < recorded.entries) {
    throw new LedgerIntegrityError(
      `${file}: the privacy ledger has ${chain.length} entries, but ${recordedWhere} recorded ${recorded.entries}: it was deleted, truncated or replaced`,
    );
  }
  const at = recorded.entries === 0 ? GENESIS : chain[recorded.entries - 1]!;
  if (at !== recorded.hash) {
    throw new LedgerIntegrityError(
      `${file}: the privacy ledger's first ${recorded.entries} entries are not the ones ${recordedWhere} recorded (hash ${at.slice(0, 12)}... vs ${recorded.hash.slice(0, 12)}...): it was rewritten`,
    );
  }
}
