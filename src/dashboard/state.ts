/**
 * What the dashboard shows, assembled from one run's rows. The database is
 * the record of everything that happened; the live feed adds only what the
 * database does not keep (which nodes are connected now, the log lines).
 */
import { matthewsCorrelation } from '../federation/strategy/evaluation-metrics.js';
import type { Metrics } from '../federation/strategy/types.js';
import type { AttemptRecord, ResultRecord, RunTables } from './run-tables.js';

export interface SiteView {
  node: string;
  /** null: not known (a finished run read from its database). */
  connected: boolean | null;
  lastSeen: string | null;
  /** Training samples of the node's last accepted fit, as released; null when hidden (secure aggregation) or none yet. */
  dataSize: number | null;
  /** In the latest attempt: training, accepted, rejected, dropped, evaluated, or idle (not in the cohort). */
  roundStatus: string;
  /** Why the node was refused or dropped in the latest attempt. */
  detail: string | null;
}

export interface RoundView {
  round: number;
  attempts: number;
  status: string;
  durationSec: number | null;
  participants: string[];
  dropouts: string[];
  rejected: string[];
  protocol: string;
  evalMetrics: Metrics | null;
  message: string | null;
}

export interface RunView {
  name: string;
  status: string;
  message: string | null;
  totalRounds: number;
  roundsCompleted: number;
  /** The round in progress, else the last one started; 0 before the first. */
  currentRound: number;
  aggregation: string;
  strategy: string;
  metric: string;
  best: { round: number; metric: number } | null;
}

export interface LiveInfo {
  connected: ReadonlyMap<string, boolean>;
  log: readonly string[];
}

export interface CoordinatorConfigView {
  allowedNodes?: string[];
  aggregation?: string;
  strategy?: { name?: string };
  evaluate?: { metric?: string };
  privacy?: { delta?: number; accountant?: 'rdp' | 'gdp' | 'prv'; targetEpsilon?: number };
}

const seconds = (from: string, to: string | null): number | null => (to ? (Date.parse(to) - Date.parse(from)) / 1000 : (Date.now() - Date.parse(from)) / 1000);

/** The attempt that counts for a round: the completed one, else the latest. */
export function chosenAttempts(attempts: AttemptRecord[]): AttemptRecord[] {
  const byRound = new Map<number, AttemptRecord>();
  for (const a of attempts) if (byRound.get(a.round)?.status !== 'completed') byRound.set(a.round, a);
  return [...byRound.values()];
}

export function runView(t: RunTables, config: CoordinatorConfigView): RunView {
  const latest = t.attempts.at(-1);
  return {
    name: t.run.name,
    status: t.run.status,
    message: t.run.message,
    totalRounds: t.run.total_rounds,
    roundsCompleted: new Set(t.attempts.filter((a) => a.status === 'completed').map((a) => a.round)).size,
    currentRound: latest?.round ?? 0,
    aggregation: config.aggregation ?? 'plain',
    strategy: config.strategy?.name ?? 'fedavg',
    metric: config.evaluate?.metric ?? 'mcc',
    best: t.run.best_round !== null && t.run.best_metric !== null ? { round: t.run.best_round, metric: t.run.best_metric } : null,
  };
}

export function roundViews(t: RunTables, protocol: string): RoundView[] {
  const tries = new Map<number, number>();
  for (const a of t.attempts) tries.set(a.round, (tries.get(a.round) ?? 0) + 1);
  return chosenAttempts(t.attempts).map((a) => {
    const fit = t.results.filter((r) => r.round === a.round && r.attempt === a.attempt && r.phase === 'fit');
    const named = (s: ResultRecord['status']) => fit.filter((r) => r.status === s).map((r) => r.node);
    return {
      round: a.round,
      attempts: tries.get(a.round)!,
      status: a.status,
      durationSec: seconds(a.startedAt, a.finishedAt),
      participants: named('accepted'),
      dropouts: named('dropped'),
      rejected: named('rejected'),
      protocol,
      evalMetrics: a.evalMetrics,
      message: a.message,
    };
  });
}

export function siteViews(t: RunTables | null, config: CoordinatorConfigView, live: LiveInfo | null): SiteView[] {
  const names = new Set([...(config.allowedNodes ?? []), ...(t?.nodes.map((n) => n.node) ?? []), ...(live ? [...live.connected.keys()] : [])]);
  const latest = t?.attempts.at(-1);
  return [...names].sort().map((node) => {
    const own = t?.results.filter((r) => r.node === node) ?? [];
    const seen = [t?.nodes.find((n) => n.node === node)?.lastSeen, ...own.map((r) => r.recordedAt)].filter((v): v is string => !!v).sort();
    const lastFit = own.filter((r) => r.phase === 'fit' && r.status === 'accepted').at(-1);
    const now = latest ? own.filter((r) => r.round === latest.round && r.attempt === latest.attempt) : [];
    const fit = now.find((r) => r.phase === 'fit');
    const evaluated = now.find((r) => r.phase === 'evaluate');
    let roundStatus = 'idle';
    if (latest && latest.nodes.includes(node)) roundStatus = fit ? fit.status : latest.status === 'running' ? 'training' : 'no result';
    if (evaluated && (!fit || fit.status === 'accepted')) roundStatus = evaluated.status === 'accepted' ? 'evaluated' : `evaluation ${evaluated.status}`;
    return {
      node,
      connected: live ? (live.connected.get(node) ?? false) : null,
      lastSeen: seen.at(-1) ?? null,
      dataSize: lastFit?.numSamples ?? null,
      roundStatus,
      detail: fit && fit.status !== 'accepted' ? fit.message : null,
    };
  });
}

/** One metric of one site's evaluation; MCC from its confusion counts when it reported them. */
export function siteMetric(m: Metrics, key: string): number {
  if (key === 'mcc' && m.mcc === undefined && [m.tp, m.fp, m.tn, m.fn].every((v) => typeof v === 'number')) return matthewsCorrelation(m.tp!, m.fp!, m.tn!, m.fn!);
  return typeof m[key] === 'number' ? m[key]! : NaN;
}

/** A finished run's log, rebuilt from its rows (the live dashboard shows the coordinator's own lines instead). */
export function logFromTables(t: RunTables): string[] {
  const lines: string[] = [];
  for (const a of t.attempts) {
    const fit = t.results.filter((r) => r.round === a.round && r.attempt === a.attempt && r.phase === 'fit');
    lines.push(`${a.startedAt} round ${a.round} (attempt ${a.attempt}): fit on ${a.nodes.join(', ')}`);
    for (const r of fit) if (r.status !== 'accepted') lines.push(`${r.recordedAt} round ${a.round}: fit result of ${r.node} ${r.status}${r.message ? `: ${r.message}` : ''}`);
    if (a.finishedAt) lines.push(`${a.finishedAt} round ${a.round} attempt ${a.attempt} ${a.status}${a.message ? `: ${a.message}` : ''}`);
  }
  if (t.run.status !== 'running') lines.push(`${t.run.updated_at} run ${t.run.status}${t.run.message ? `: ${t.run.message}` : ''}`);
  return lines;
}
