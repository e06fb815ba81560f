/** A summary of the runs in a coordinator database, for `privmed status`. */
import type { RunRecord } from './run-rows.js';
import { schemaVersion } from './schema.js';
import type { SqliteDatabase } from './sqlite.js';
import type { Metrics } from '../strategy/types.js';
import { composeReleases, PrivacyLedger, type AccountantName, type LedgerDatabase, type ReleaseMechanism } from '../../accounting/index.js';

/** What the federation ledger (in the same file) has charged each node for this run's completed rounds. */
export interface RunPrivacy {
  delta: number;
  accountant: AccountantName;
  nodes: { node: string; rounds: number; epsilon: number }[];
  maxEpsilon: number;
}

/**
 * Each node's spent epsilon as the node reports it from its own ledger, under
 * every protocol (it travels beside hidden updates). Not checked by the
 * coordinator: the nodes' ledgers are the authoritative record.
 */
export interface ReportedPrivacy {
  nodes: { node: string; epsilon: number; delta: number }[];
  maxEpsilon: number;
}

export interface RoundSummary {
  round: number;
  status: string;
  attempts: number;
  fit: { accepted: string[]; rejected: string[]; dropped: string[] };
  evalMetrics: Metrics | null;
  message: string | null;
}

export interface RunSummary {
  name: string;
  status: string;
  message: string | null;
  strategy: string;
  metric: string;
  totalRounds: number;
  roundsCompleted: number;
  best: { round: number; metric: number } | null;
  createdAt: string;
  updatedAt: string;
  rounds: RoundSummary[];
  privacy: RunPrivacy | null;
  reportedPrivacy: ReportedPrivacy | null;
}

export function summariseRuns(db: SqliteDatabase): RunSummary[] {
  if (schemaVersion(db) === 0) return [];
  const runs = db.prepare('SELECT * FROM runs ORDER BY run_id').all() as RunRecord[];
  return runs.map((run) => {
    const config = JSON.parse(run.config_json) as { strategy?: { name?: string }; evaluate?: { metric?: string }; privacy?: { delta?: number; accountant?: AccountantName } };
    const attempts = db
      .prepare('SELECT round, attempt, status, eval_metrics_json, message FROM rounds WHERE run_id = ? ORDER BY round, attempt')
      .all(run.run_id) as { round: number; attempt: number; status: string; eval_metrics_json: string | null; message: string | null }[];
    const results = db
      .prepare(`SELECT round, attempt, node, status FROM node_results WHERE run_id = ? AND phase = 'fit'`)
      .all(run.run_id) as { round: number; attempt: number; node: string; status: 'accepted' | 'rejected' | 'dropped' }[];
    const byRound = new Map<number, typeof attempts>();
    for (const a of attempts) byRound.set(a.round, [...(byRound.get(a.round) ?? []), a]);
    const rounds: RoundSummary[] = [...byRound].map(([round, list]) => {
      // The attempt that counts: the completed one, else the latest.
      const chosen = list.find((a) => a.status === 'completed') ?? list.at(-1)!;
      const fit = { accepted: [] as string[], rejected: [] as string[], dropped: [] as string[] };
      for (const r of results) if (r.round === round && r.attempt === chosen.attempt) fit[r.status].push(r.node);
      return {
        round,
        status: chosen.status,
        attempts: list.length,
        fit,
        evalMetrics: chosen.eval_metrics_json ? (JSON.parse(chosen.eval_metrics_json) as Metrics) : null,
        message: chosen.message,
      };
    });
    return {
      name: run.name,
      status: run.status,
      message: run.message,
      strategy: config.strategy?.name ?? 'fedavg',
      metric: config.evaluate?.metric ?? 'mcc',
      totalRounds: run.total_rounds,
      roundsCompleted: rounds.filter((r) => r.status === 'completed').length,
      best: run.best_round !== null && run.best_metric !== null ? { round: run.best_round, metric: run.best_metric } : null,
      createdAt: run.created_at,
      updatedAt: run.updated_at,
      rounds,
      privacy: runPrivacy(db, run.name, config.privacy?.delta ?? 1e-5, config.privacy?.accountant ?? 'rdp'),
      reportedPrivacy: reportedPrivacy(db, run.run_id),
    };
  });
}

/** The run's charges are the ledger entries noted "federated run '<name>': round N" (coordinator/federation-ledger.ts). */
function runPrivacy(db: SqliteDatabase, runName: string, delta: number, accountant: AccountantName): RunPrivacy | null {
  if (!db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'privacy_ledger'`).get()) return null;
  const ledger = PrivacyLedger.open(db as unknown as LedgerDatabase, { mustExist: true });
  const prefix = `federated run '${runName}': `;
  const bySite = new Map<string, ReleaseMechanism[]>();
  for (const e of ledger.entries()) if (e.note.startsWith(prefix)) bySite.set(e.site, [...(bySite.get(e.site) ?? []), e.mechanism]);
  if (bySite.size === 0) return null;
  const nodes = [...bySite].sort(([a], [b]) => (a < b ? -1 : 1)).map(([node, ms]) => ({ node, rounds: ms.length, epsilon: composeReleases(ms, delta, accountant).epsilon }));
  return { delta, accountant, nodes, maxEpsilon: Math.max(...nodes.map((n) => n.epsilon)) };
}

/** The latest epsilon each node reported with an accepted fit of this run (its ledger only grows, so the latest is the largest). */
function reportedPrivacy(db: SqliteDatabase, runId: number): ReportedPrivacy | null {
  const rows = db
    .prepare(`SELECT node, metrics_json FROM node_results WHERE run_id = ? AND phase = 'fit' AND status = 'accepted' AND metrics_json IS NOT NULL ORDER BY round, attempt`)
    .all(runId) as { node: string; metrics_json: string }[];
  const latest = new Map<string, { epsilon: number; delta: number }>();
  for (const r of rows) {
    const m = JSON.parse(r.metrics_json) as Record<string, unknown>;
    if (typeof m.epsilon === 'number' && typeof m.dpDelta === 'number') latest.set(r.node, { epsilon: m.epsilon, delta: m.dpDelta });
  }
  if (latest.size === 0) return null;
  const nodes = [...latest].sort(([a], [b]) => (a < b ? -1 : 1)).map(([node, v]) => ({ node, ...v }));
  return { nodes, maxEpsilon: Math.max(...nodes.map((n) => n.epsilon)) };
}

function fmt(v: number | undefined): string {
  return v === undefined ? '-' : v.toFixed(4);
}

export function formatRunSummary(s: RunSummary): string {
  const lines = [
    `run ${s.name}: ${s.status}${s.message ? ` - ${s.message}` : ''}`,
    `  strategy ${s.strategy}, ${s.roundsCompleted} of ${s.totalRounds} rounds completed, updated ${s.updatedAt}`,
    `  best round: ${s.best ? `${s.best.round} (${s.metric} ${fmt(s.best.metric)})` : '-'}`,
    `  round  status       tries  fit ok/refused/dropped  ${s.metric.padEnd(8)} accuracy  loss`,
  ];
  for (const r of s.rounds) {
    const fit = `${r.fit.accepted.length}/${r.fit.rejected.length}/${r.fit.dropped.length}`;
    const m = r.evalMetrics ?? {};
    lines.push(
      `  ${String(r.round).padStart(5)}  ${r.status.padEnd(11)}  ${String(r.attempts).padStart(5)}  ${fit.padStart(22)}  ${fmt(m[s.metric]).padEnd(8)} ${fmt(m.accuracy).padEnd(9)} ${fmt(m.loss)}`,
    );
    const problems = [...r.fit.rejected.map((n) => `${n} refused`), ...r.fit.dropped.map((n) => `${n} dropped`)];
    if (problems.length > 0 || (r.status !== 'completed' && r.message)) {
      lines.push(`         ${[...problems, ...(r.status !== 'completed' && r.message ? [r.message] : [])].join('; ')}`);
    }
  }
  if (s.privacy) {
    const p = s.privacy;
    lines.push(`  privacy (federation ledger, delta ${p.delta}, ${p.accountant}): max epsilon ${fmt(p.maxEpsilon)}`);
    for (const n of p.nodes) lines.push(`    ${n.node}: epsilon ${fmt(n.epsilon)} over ${n.rounds} rounds`);
  }
  if (s.reportedPrivacy) {
    const r = s.reportedPrivacy;
    lines.push(`  privacy (each node's own ledger, as reported): max epsilon ${fmt(r.maxEpsilon)}`);
    for (const n of r.nodes) lines.push(`    ${n.node}: epsilon ${fmt(n.epsilon)} at delta ${n.delta}`);
  }
  return lines.join('\n');
}
