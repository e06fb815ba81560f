/**
 * Charging the privacy ledger from a training run that may be killed and
 * resumed. Every release is appended BEFORE it is computed (the ledger's
 * rule: a release that happened is always on record). Its note names the run
 * and the step of the run ("privmed run <id>: epoch 3"), so a resumed run
 * that must redo a step whose output was never persisted finds the charge it
 * already paid and does not pay again.
 */
import type { LedgerEntry, PrivacyLedger, Release } from '../accounting/index.js';

export interface Charge {
  readonly entry: LedgerEntry;
  /** False when an identical earlier charge of this run was reused. */
  readonly charged: boolean;
}

export function runNote(runId: string, what: string): string {
  return `privmed run ${runId}: ${what}`;
}

/** The entry of this site with exactly this note and mechanism, if any. */
export function findCharge(ledger: PrivacyLedger, release: Release): LedgerEntry | undefined {
  const want = canonical(release.mechanism);
  return ledger.entries(release.site).find((e) => e.note === release.note && e.kind === release.kind && canonical(e.mechanism) === want);
}

/** Appends the release unless `reuse` and the same charge is already recorded. */
export function chargeOnce(ledger: PrivacyLedger, release: Release, reuse: boolean): Charge {
  const found = reuse ? findCharge(ledger, release) : undefined;
  if (found) return { entry: found, charged: false };
  return { entry: ledger.append(release), charged: true };
}

function canonical(value: object): string {
  return JSON.stringify(Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1))));
}
