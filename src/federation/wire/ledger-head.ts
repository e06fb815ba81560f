/**
 * A node's privacy ledger head on the wire (accounting/ledger-chain.ts): the
 * node reports it with every reply, the coordinator stores it per node and
 * round and sends the last one back with every task. Both sides check what
 * they receive before using it: a head is a count and a hex SHA-256, nothing else.
 */
import { PrivmedError } from '../../common/errors.js';
import type { LedgerHead } from '../../accounting/index.js';
import type { LedgerHeadMessage, LedgerHeadMessage__Output } from './messages.js';

/** More entries than any real ledger holds (one per round and release): a bound, not a limit in practice. */
const MAX_ENTRIES = 2 ** 40;

export function ledgerHeadFromWire(m: LedgerHeadMessage__Output | null | undefined, what: string): LedgerHead | null {
  if (!m) return null;
  const entries = Number(m.entries);
  if (!Number.isSafeInteger(entries) || entries < 0 || entries > MAX_ENTRIES) {
    throw new PrivmedError(`${what}: a privacy ledger head must count 0..${MAX_ENTRIES} entries, got ${String(m.entries).slice(0, 24)}`);
  }
  if (typeof m.hash !== 'string' || !/^[0-9a-f]{64}$/.test(m.hash)) {
    throw new PrivmedError(`${what}: a privacy ledger head's hash must be 64 lower-case hex digits`);
  }
  return { entries, hash: m.hash };
}

export function ledgerHeadToWire(head: LedgerHead | null | undefined): LedgerHeadMessage | null {
  return head ? { entries: head.entries, hash: head.hash } : null;
}
