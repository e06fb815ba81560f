/**
 * Per-site epsilon over rounds, two ways: what the federation ledger charged
 * (composed round by round at the run's delta and accountant), and what each
 * node reported with its fits (its own ledger, `epsilon` in the fit metrics;
 * absent under secure aggregation). The ledger never changes a past entry, so
 * each site's running composition is cached by its length.
 */
import { composeReleases, type AccountantName, type LedgerEntry, type ReleaseMechanism } from '../accounting/index.js';
import { roundNote } from '../federation/coordinator/federation-ledger.js';
import type { ResultRecord } from './run-tables.js';

export interface EpsilonSeries {
  site: string;
  source: 'ledger' | 'reported';
  /** [round, cumulative epsilon] */
  points: [number, number][];
}

export class EpsilonHistory {
  private readonly cache = new Map<string, number>();

  constructor(
    private readonly delta: number,
    private readonly accountant: AccountantName,
  ) {}

  /** The federation ledger's charges of this run, composed per site after each round. */
  fromLedger(runName: string, entries: LedgerEntry[]): EpsilonSeries[] {
    const prefix = roundNote(runName, 0).slice(0, -1);
    const bySite = new Map<string, { round: number; mechanism: ReleaseMechanism }[]>();
    for (const e of entries) {
      if (!e.note.startsWith(prefix)) continue;
      const round = Number(e.note.slice(prefix.length));
      if (Number.isInteger(round)) bySite.set(e.site, [...(bySite.get(e.site) ?? []), { round, mechanism: e.mechanism }]);
    }
    return [...bySite]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([site, charges]) => ({
        site,
        source: 'ledger' as const,
        points: charges.map((c, i) => [c.round, this.composed(site, charges.slice(0, i + 1).map((x) => x.mechanism))] as [number, number]),
      }));
  }

  private composed(site: string, mechanisms: ReleaseMechanism[]): number {
    const key = `${site}\u0000${mechanisms.length}`;
    let eps = this.cache.get(key);
    if (eps === undefined) {
      eps = composeReleases(mechanisms, this.delta, this.accountant).epsilon;
      this.cache.set(key, eps);
    }
    return eps;
  }
}

/** What nodes reported: the epsilon of their last accepted fit in each round. */
export function reportedEpsilon(results: ResultRecord[]): EpsilonSeries[] {
  const bySite = new Map<string, Map<number, number>>();
  for (const r of results) {
    const eps = r.metrics.epsilon;
    if (r.phase !== 'fit' || r.status !== 'accepted' || typeof eps !== 'number' || !Number.isFinite(eps)) continue;
    const rounds = bySite.get(r.node) ?? new Map<number, number>();
    rounds.set(r.round, eps);
    bySite.set(r.node, rounds);
  }
  return [...bySite]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([site, rounds]) => ({ site, source: 'reported' as const, points: [...rounds].sort(([a], [b]) => a - b) }));
}
