/** The dashboard's charts, drawn on the server with src/plots: metrics over rounds and epsilon over rounds. */
import { lineChart, type Series } from '../plots/line-chart.js';
import type { EpsilonSeries } from './epsilon.js';
import { chosenAttempts, siteMetric } from './state.js';
import type { RunTables } from './run-tables.js';

export interface DashboardCharts {
  loss: string;
  auc: string;
  mcc: string;
  epsilon: string;
}

const METRICS = [
  { key: 'loss', title: 'Loss over rounds', label: 'loss', range: undefined },
  { key: 'auc', title: 'ROC-AUC over rounds', label: 'AUC', range: [0, 1] as [number, number] },
  { key: 'mcc', title: 'MCC over rounds', label: 'MCC', range: [-1, 1] as [number, number] },
] as const;

/** Global (federated evaluation) and per-site series of one metric; only what was released. */
function metricSeries(t: RunTables | null, key: string): Series[] {
  if (!t) return [];
  const chosen = chosenAttempts(t.attempts);
  const global: Series = { name: 'global (federated evaluation)', points: chosen.filter((a) => a.evalMetrics).map((a) => [a.round, siteMetric(a.evalMetrics!, key)]) };
  const series: Series[] = global.points.some(([, y]) => Number.isFinite(y)) ? [global] : [];
  if (key === 'loss') {
    const fit: Series = { name: 'global training loss (fit)', dashed: true, points: chosen.filter((a) => a.status === 'completed' && a.fitMetrics).map((a) => [a.round, siteMetric(a.fitMetrics!, 'loss')]) };
    if (fit.points.some(([, y]) => Number.isFinite(y))) series.push(fit);
  }
  const counted = new Set(chosen.map((a) => `${a.round}/${a.attempt}`));
  const bySite = new Map<string, [number, number][]>();
  for (const r of t.results) {
    if (r.phase !== 'evaluate' || r.status !== 'accepted' || !counted.has(`${r.round}/${r.attempt}`)) continue;
    const v = siteMetric(r.metrics, key);
    if (Number.isFinite(v)) bySite.set(r.node, [...(bySite.get(r.node) ?? []), [r.round, v]]);
  }
  for (const [site, points] of [...bySite].sort(([a], [b]) => (a < b ? -1 : 1))) series.push({ name: site, points });
  return series;
}

export function dashboardCharts(t: RunTables | null, epsilon: EpsilonSeries[], budget: number | undefined): DashboardCharts {
  const charts = Object.fromEntries(
    METRICS.map((m) => [m.key, lineChart({ title: m.title, xLabel: 'round', yLabel: m.label, series: metricSeries(t, m.key), yRange: m.range, integerX: true, width: 720, height: 320 })]),
  ) as Omit<DashboardCharts, 'epsilon'>;
  const series: Series[] = epsilon.map((e) => ({ name: e.source === 'ledger' ? `${e.site} (federation ledger)` : `${e.site} (reported by node)`, points: e.points, dashed: e.source === 'reported' }));
  return {
    ...charts,
    epsilon: lineChart({
      title: 'Privacy spent: epsilon per site',
      xLabel: 'round',
      yLabel: 'epsilon',
      series,
      integerX: true,
      width: 720,
      height: 320,
      ...(budget !== undefined ? { budget: { value: budget, label: `budget epsilon ${budget}` } } : {}),
    }),
  };
}
