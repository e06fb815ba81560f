/**
 * The federation's privacy ledger: a PrivacyLedger in the coordinator's own
 * SQLite file, charged inside each round's commit transaction. One 'dp-sgd'
 * release per contributing node and completed round, so a coordinator killed
 * mid-round never charges the unfinished round, and a resumed run (which never
 * commits a round twice) never charges one twice. Failed attempts are not
 * charged here; the nodes' own ledgers charge every fit they ran and stay the
 * authoritative record of each hospital's spending.
 *
 * Which mechanism: what each node reported in its fit metrics (plain
 * aggregation), or, when the round's rows carry none (secure aggregation
 * hides them), the coordinator's declared `privacy:` mechanism, which every
 * DP node checks its own against before training. Without either nothing is
 * charged (a federation without DP).
 */
import { PrivacyLedger, type LedgerDatabase, type ReleaseMechanism } from '../../accounting/index.js';
import type { CommitHook } from '../store/run-store.js';
import type { SqliteDatabase } from '../store/sqlite.js';
import type { FederationPrivacy } from './config.js';
import { reportedMechanism } from '../../site/fit-config.js';

export function declaredMechanism(p: FederationPrivacy): ReleaseMechanism {
  return { type: 'subsampled-gaussian', noiseMultiplier: p.noiseMultiplier, sampleRate: p.maxSampleRate, steps: p.maxStepsPerRound, sampling: p.sampling };
}

/** The note of a round's charges: one run's rounds are told apart from another's in the same file. */
export function roundNote(runName: string, round: number): string {
  return `federated run '${runName}': round ${round}`;
}

/** For CoordinatorOptions.onDatabase: creates the ledger table and returns the round commit hook. */
export function federationLedger(runName: string, declared: FederationPrivacy | undefined): (db: SqliteDatabase) => CommitHook {
  return (db) => {
    const ledger = PrivacyLedger.open(db as unknown as LedgerDatabase);
    return (tx, commit) => {
      const rows = tx
        .prepare(
          `SELECT node, metrics_json FROM node_results
           WHERE run_id = ? AND round = ? AND attempt = ? AND phase = 'fit' AND status = 'accepted' ORDER BY node`,
        )
        .all(commit.runId, commit.round, commit.attempt) as { node: string; metrics_json: string | null }[];
      for (const row of rows) {
        const metrics = row.metrics_json ? (JSON.parse(row.metrics_json) as Record<string, unknown>) : {};
        const mechanism = reportedMechanism(metrics) ?? (declared ? declaredMechanism(declared) : null);
        if (mechanism) ledger.append({ site: row.node, kind: 'dp-sgd', mechanism, note: roundNote(runName, commit.round) });
      }
    };
  };
}
