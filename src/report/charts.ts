/** The report's own charts, drawn with the one renderer (src/plots): epsilon over releases, membership-inference ROC on log axes. */
import { lineChart, type Series } from '../plots/line-chart.js';
import type { MembershipRow } from '../attacks/index.js';
import type { LedgerView } from './collect.js';

/** Each site's epsilon after each of its releases, against the budget when there is one. */
export function ledgerChart(ledgers: LedgerView[], budget: number | null): string {
  const names = ledgers.flatMap((l) => l.sites.map((s) => s.site));
  const unique = new Set(names).size === names.length;
  const series: Series[] = ledgers.flatMap((l) =>
    l.sites.map((s) => ({ name: `${s.site}${unique ? '' : ` (${l.file.split('/').pop()})`}`, points: l.releases.filter((r) => r.site === s.site).map((r, i) => [i + 1, r.epsilonAfter] as [number, number]) })),
  );
  return lineChart({
    title: 'Privacy spent: epsilon per site after each release (ledger)',
    xLabel: 'release (round / charge) of the site',
    yLabel: 'epsilon',
    series,
    integerX: true,
    width: 720,
    height: 320,
    ...(budget !== null ? { budget: { value: budget, label: `budget epsilon ${budget}` } } : {}),
  });
}

const LOG_FLOOR = -4;
/** Results come back from JSON, where NaN was written as null. */
const fixed = (v: number | null, digits: number): string => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
const log10 = (v: number): number => Math.max(LOG_FLOOR, Math.log10(Math.max(v, 1e-12)));

/** ROC curves of the attacks, both axes log10 (where low-FPR behaviour shows), chance as the diagonal. */
export function membershipRocChart(rows: MembershipRow[], attack: 'lira' | 'yeom'): string {
  const series: Series[] = rows.map((r) => ({
    name: `${r.model}: AUC ${fixed(r[attack].auc, 3)}, TPR@0.1% ${fixed(r[attack].tprAt01 * 100, 2)}%`,
    points: r[attack].roc.filter(([f, t]) => f > 0 && t > 0).map(([f, t]) => [log10(f), log10(t)] as [number, number]),
  }));
  series.push({ name: 'chance', dashed: true, points: [[LOG_FLOOR, LOG_FLOOR], [0, 0]] });
  return lineChart({
    title: `Membership inference ROC (${attack === 'lira' ? 'LiRA offline' : 'Yeom loss threshold'}), log10 axes`,
    xLabel: 'log10 false positive rate',
    yLabel: 'log10 true positive rate',
    series,
    yRange: [LOG_FLOOR, 0],
    width: 720,
    height: 360,
  });
}
