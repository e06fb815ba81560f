import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { PrivmedError } from '../common/errors.js';
import type { AccountantName } from './accountant.js';
import type { AccountantOptions } from './create-accountant.js';
import { checkDelta } from './events.js';
import { checkRelease, type Release, type ReleaseKind, type ReleaseMechanism } from './release.js';
import { composeReleases, type ComposedCost } from './release-cost.js';
import { checkBudget, refuseOverBudget, type PrivacyBudget } from './ledger-budget.js';
import { chainLink, checkExtends, GENESIS, LedgerIntegrityError, type ChainedRow, type LedgerHead } from './ledger-chain.js';

/**
 * The privacy ledger: one append-only record of every release from every
 * dataset/site, in SQLite. It is what the budget watchdog consults BEFORE a
 * release happens (append first, release after), and what `privmed privacy
 * report` reads.
 *
 * Triggers abort any UPDATE or DELETE, also where the table lives in the
 * coordinator's database; entries are hash-chained (ledger-chain.ts) so that
 * deleting or rewriting the file is detected against a head recorded elsewhere.
 * Each append is one IMMEDIATE transaction: budget check and insert under one
 * write lock, so two processes cannot both squeeze under the budget.
 */

/** The part of a better-sqlite3 Database the ledger uses (so a coordinator can pass its handle). */
export interface LedgerDatabase {
  prepare(sql: string): {
    run(...params: (string | number | null)[]): { lastInsertRowid: number | bigint };
    get(...params: (string | number | null)[]): unknown;
    all(...params: (string | number | null)[]): unknown[];
  };
  exec(sql: string): void;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  transaction<A extends unknown[], R>(fn: (...args: A) => R): ((...args: A) => R) & { immediate?: (...args: A) => R };
  close(): void;
  readonly name: string;
}

export type { PrivacyBudget };

export interface LedgerOptions {
  /** The budget of every site; appends that would exceed it are refused. */
  readonly budget?: PrivacyBudget;
  /** Per-site budgets, overriding `budget`. */
  readonly siteBudgets?: Readonly<Record<string, PrivacyBudget>>;
  /** The accountant for budget checks: 'rdp' (default) or 'prv'; GDP is only an approximation. */
  readonly accountant?: Exclude<AccountantName, 'gdp'>;
  readonly accountantOptions?: AccountantOptions;
  /** Refuse to create the ledger table: the source must already be a ledger. */
  readonly mustExist?: boolean;
  /** Time source for entries (tests). */
  readonly clock?: () => Date;
}

export interface LedgerEntry {
  readonly id: number;
  readonly site: string;
  readonly kind: ReleaseKind;
  readonly mechanism: ReleaseMechanism;
  /** ISO 8601, UTC. */
  readonly recordedAt: string;
  readonly note: string;
}

export interface SiteReport extends ComposedCost {
  readonly site: string;
  readonly releases: number;
  readonly budget?: PrivacyBudget;
}

export interface LedgerReport {
  readonly accountant: AccountantName;
  readonly delta: number;
  readonly sites: readonly SiteReport[];
  /** The largest epsilon of any site (0 for an empty ledger): what the federation as a whole has spent. */
  readonly maxEpsilon: number;
  readonly maxSite: string | null;
  readonly approximation?: 'CLT';
}

const TABLE = 'privacy_ledger';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS ${TABLE} (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  site TEXT NOT NULL CHECK (length(site) > 0),
  kind TEXT NOT NULL CHECK (kind IN ('dp-sgd', 'statistics', 'hparam-trial', 'model-selection')),
  mechanism TEXT NOT NULL CHECK (json_valid(mechanism)),
  recorded_at TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  chain TEXT
);
CREATE INDEX IF NOT EXISTS ${TABLE}_site ON ${TABLE} (site, id);
CREATE TRIGGER IF NOT EXISTS ${TABLE}_no_update BEFORE UPDATE ON ${TABLE}
  BEGIN SELECT RAISE(ABORT, 'the privacy ledger is append-only'); END;
CREATE TRIGGER IF NOT EXISTS ${TABLE}_no_delete BEFORE DELETE ON ${TABLE}
  BEGIN SELECT RAISE(ABORT, 'the privacy ledger is append-only'); END;
`;

interface Row extends ChainedRow {
  /** Absent in a ledger opened read-only from before the chain; null in its old rows. */
  chain?: string | null;
}

type DatabaseConstructor = new (file: string, options?: { fileMustExist?: boolean; timeout?: number }) => LedgerDatabase;

export class PrivacyLedger {
  private readonly ownsDatabase: boolean;

  private constructor(
    private readonly db: LedgerDatabase,
    private readonly options: LedgerOptions,
    ownsDatabase: boolean,
  ) {
    this.ownsDatabase = ownsDatabase;
    for (const [site, budget] of Object.entries({ '(every site)': options.budget, ...options.siteBudgets })) {
      if (budget) checkBudget(budget, site);
    }
    if ((options.accountant as string | undefined) === 'gdp') {
      throw new PrivmedError("the privacy ledger cannot enforce budgets with the 'gdp' accountant: its epsilon is an approximation", {
        hint: "use 'rdp' or 'prv'",
      });
    }
  }

  /**
   * Opens the ledger in a SQLite file (created with the table unless
   * mustExist; WAL journal, full fsync on commit) or in an open better-sqlite3
   * handle, e.g. the coordinator's (its pragmas are left to its owner).
   */
  static open(source: string | LedgerDatabase, options: LedgerOptions = {}): PrivacyLedger {
    const owns = typeof source === 'string';
    const db = owns ? openFile(source, options.mustExist ?? false) : source;
    try {
      if (options.mustExist) {
        const found = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?`).get(TABLE);
        if (!found) throw new PrivmedError(`${db.name}: not a privmed privacy ledger (it has no ${TABLE} table)`);
      } else {
        db.exec(SCHEMA);
        addChainColumn(db);
      }
      return new PrivacyLedger(db, options, owns);
    } catch (err) {
      if (owns) db.close();
      throw err;
    }
  }

  /**
   * Records a release, or refuses it (PrivmedError, nothing written) when the
   * site's budget would be exceeded. Call this before the release happens.
   */
  append(release: Release): LedgerEntry {
    const checked = checkRelease(release);
    const recordedAt = (this.options.clock?.() ?? new Date()).toISOString();
    const insert = this.db.transaction((r: Release): number => {
      const budget = this.budgetOf(r.site);
      if (budget) this.enforce(budget, r);
      const id = ((this.db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = ?`).get(TABLE) as { seq: number } | undefined)?.seq ?? 0) + 1;
      const row = { id, site: r.site, kind: r.kind, mechanism: JSON.stringify(r.mechanism), recorded_at: recordedAt, note: r.note ?? '' };
      const chain = chainLink(this.verifiedChain().at(-1) ?? GENESIS, row);
      this.db
        .prepare(`INSERT INTO ${TABLE} (id, site, kind, mechanism, recorded_at, note, chain) VALUES (?, ?, ?, ?, ?, ?, ?)`)
        .run(row.id, row.site, row.kind, row.mechanism, row.recorded_at, row.note, chain);
      return id;
    });
    const id = (insert.immediate ?? insert)(checked);
    return { id, site: checked.site, kind: checked.kind, mechanism: checked.mechanism, recordedAt, note: checked.note ?? '' };
  }

  /** Every entry, oldest first; only one site's when `site` is given. */
  entries(site?: string): LedgerEntry[] {
    const rows = (
      site === undefined
        ? this.db.prepare(`SELECT * FROM ${TABLE} ORDER BY id`).all()
        : this.db.prepare(`SELECT * FROM ${TABLE} WHERE site = ? ORDER BY id`).all(site)
    ) as Row[];
    return rows.map((row) => this.parseRow(row));
  }

  /** The chain's head now: what a run records to detect a ledger deleted, truncated or rewritten later. */
  head(): LedgerHead {
    const chain = this.verifiedChain();
    return { entries: chain.length, hash: chain.at(-1) ?? GENESIS };
  }

  /** Throws LedgerIntegrityError unless this ledger still holds, unchanged, the entries `recorded` covers. */
  verifyExtends(recorded: LedgerHead, recordedWhere: string): void {
    checkExtends(this.db.name, this.verifiedChain(), recorded, recordedWhere);
  }

  /** The chain after each entry, recomputed; a stored link that disagrees means the rows were edited. */
  private verifiedChain(): string[] {
    const rows = this.db.prepare(`SELECT * FROM ${TABLE} ORDER BY id`).all() as Row[];
    const chain: string[] = [];
    let previous = GENESIS;
    for (const row of rows) {
      previous = chainLink(previous, row);
      // Entries written before the chain existed have none stored; they are covered from here on.
      if (row.chain != null && row.chain !== previous) {
        throw new LedgerIntegrityError(`${this.db.name}: privacy ledger entry ${row.id} does not match the chain: entries were edited, removed or inserted`);
      }
      chain.push(previous);
    }
    return chain;
  }

  count(): number {
    return (this.db.prepare(`SELECT count(*) AS n FROM ${TABLE}`).get() as { n: number }).n;
  }

  sites(): string[] {
    return (this.db.prepare(`SELECT DISTINCT site FROM ${TABLE} ORDER BY site`).all() as { site: string }[]).map((r) => r.site);
  }

  /** What one site has spent so far at `delta`. */
  siteCost(site: string, delta: number, accountant: AccountantName = this.options.accountant ?? 'rdp'): ComposedCost {
    return composeReleases(
      this.entries(site).map((e) => e.mechanism),
      checkDelta(delta),
      accountant,
      this.options.accountantOptions,
    );
  }

  /** Every site's (epsilon, delta) at `delta`, and the maximum over sites. */
  report(delta: number, accountant: AccountantName = this.options.accountant ?? 'rdp'): LedgerReport {
    checkDelta(delta);
    const bySite = new Map<string, ReleaseMechanism[]>();
    for (const e of this.entries()) bySite.set(e.site, [...(bySite.get(e.site) ?? []), e.mechanism]);
    const sites: SiteReport[] = [...bySite.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([site, mechanisms]) => {
        const budget = this.budgetOf(site);
        return {
          site,
          releases: mechanisms.length,
          ...composeReleases(mechanisms, delta, accountant, this.options.accountantOptions),
          ...(budget ? { budget } : {}),
        };
      });
    const worst = sites.reduce<SiteReport | null>((w, s) => (w === null || s.epsilon > w.epsilon ? s : w), null);
    const approximation = sites.some((s) => s.approximation === 'CLT') ? ('CLT' as const) : undefined;
    return {
      accountant,
      delta,
      sites,
      maxEpsilon: worst?.epsilon ?? 0,
      maxSite: worst?.site ?? null,
      ...(approximation ? { approximation } : {}),
    };
  }

  /** Closes the database if the ledger opened it (a borrowed handle stays open). */
  close(): void {
    if (this.ownsDatabase) this.db.close();
  }

  private budgetOf(site: string): PrivacyBudget | undefined {
    return this.options.siteBudgets?.[site] ?? this.options.budget;
  }

  private enforce(budget: PrivacyBudget, release: Release): void {
    const past = this.entries(release.site).map((e) => e.mechanism);
    refuseOverBudget(budget, release, past, this.options.accountant ?? 'rdp', this.options.accountantOptions);
  }

  private parseRow(row: Row): LedgerEntry {
    let mechanism: unknown;
    try {
      mechanism = JSON.parse(row.mechanism);
    } catch {
      mechanism = row.mechanism;
    }
    const release = checkRelease({ site: row.site, kind: row.kind, mechanism }, `${this.db.name}: ledger entry ${row.id}`);
    return { id: row.id, site: release.site, kind: release.kind, mechanism: release.mechanism, recordedAt: row.recorded_at, note: row.note };
  }
}

/** Ledgers from before the chain get the column (their old rows stay unlinked until covered by a recorded head). */
function addChainColumn(db: LedgerDatabase): void {
  const columns = db.prepare(`PRAGMA table_info(${TABLE})`).all() as { name: string }[];
  if (!columns.some((c) => c.name === 'chain')) db.exec(`ALTER TABLE ${TABLE} ADD COLUMN chain TEXT`);
}

function openFile(file: string, mustExist: boolean): LedgerDatabase {
  const Database = createRequire(import.meta.url)('better-sqlite3') as DatabaseConstructor;
  if (mustExist && !existsSync(file)) throw new PrivmedError(`${file}: cannot open privacy ledger (file not found)`);
  let db: LedgerDatabase;
  try {
    db = new Database(file, { fileMustExist: mustExist, timeout: 5000 });
  } catch (cause) {
    throw new PrivmedError(`${file}: cannot open privacy ledger (${(cause as Error).message})`, { cause });
  }
  // WAL: readers (report) never block appends; FULL: a committed release is on
  // disk before append returns, so the ledger cannot lose a release that happened.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  return db;
}
