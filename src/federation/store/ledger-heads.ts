/**
 * The privacy ledger heads nodes report, kept in the coordinator's database
 * (table ledger_heads). A node's ledger lives on the node's disk, where whoever
 * controls that disk can delete or rewrite it; the coordinator's copy of the
 * head is out of their reach. The coordinator sends a node the last head it
 * recorded for it (in any run of this database) with every task, and the node
 * refuses to go on when its ledger no longer extends that head.
 *
 * Only growth is recorded: a node that reports fewer entries than before has
 * lost part of its ledger (or lies), and its reply is refused.
 */
import type { LedgerHead } from '../../accounting/index.js';
import type { SqliteDatabase } from './sqlite.js';

export class LedgerHeads {
  constructor(
    private readonly db: SqliteDatabase,
    private readonly runId: number,
  ) {}

  /** The head `node` reported last, in any run of this database; null before its first report. */
  last(node: string): LedgerHead | null {
    const row = this.db.prepare('SELECT entries, hash FROM ledger_heads WHERE node = ? ORDER BY seq DESC LIMIT 1').get(node) as
      | { entries: number; hash: string }
      | undefined;
    return row ? { entries: row.entries, hash: row.hash } : null;
  }

  /**
   * Stores `head` as reported by `node` in `round`; returns why it is refused
   * (fewer entries than already recorded, or the same count with another hash), or null.
   */
  record(node: string, round: number, head: LedgerHead): string | null {
    const last = this.last(node);
    if (last && head.entries < last.entries) {
      return `the node's privacy ledger head covers ${head.entries} entries, fewer than the ${last.entries} it reported before: its ledger was truncated or replaced`;
    }
    if (last && head.entries === last.entries && head.hash !== last.hash) {
      return `the node's privacy ledger head (${head.entries} entries) differs from the one it reported before: its ledger was rewritten`;
    }
    // One row per node and round: a later reply in the same round (a protocol step) updates it.
    this.db
      .prepare(
        `INSERT INTO ledger_heads (run_id, node, round, entries, hash, recorded_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (run_id, node, round) DO UPDATE SET entries = excluded.entries, hash = excluded.hash, recorded_at = excluded.recorded_at`,
      )
      .run(this.runId, node, round, head.entries, head.hash, new Date().toISOString());
    return null;
  }
}
