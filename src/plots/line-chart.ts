/** Line charts: learning curves, metrics over rounds, epsilon over rounds against a budget. */
import { axes, colour, extentOf, legend, legendWidth, pathData, plotX, plotY, svgDocument, type Extent, type Frame, type LegendEntry } from './svg.js';

export interface Series {
  name: string;
  /** [x, y]; a non-finite y leaves a gap. */
  points: [number, number][];
  dashed?: boolean;
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** A horizontal reference line, e.g. the privacy budget. */
  budget?: { value: number; label: string };
  /** Fixed y range (e.g. [0, 1] for AUC); by default the data's. */
  yRange?: [number, number];
  /** Ticks at whole numbers only (rounds, epochs). */
  integerX?: boolean;
  width?: number;
  height?: number;
}

const BUDGET_COLOUR = '#c0392b';

export function lineChart(o: LineChartOptions): string {
  const width = o.width ?? 640;
  const height = o.height ?? 360;
  const xs = o.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = [...o.series.flatMap((s) => s.points.map((p) => p[1])), ...(o.budget ? [o.budget.value, 0] : [])];
  let x: Extent = extentOf(xs, { lo: 0, hi: 1 });
  if (o.integerX) x = { lo: Math.floor(x.lo), hi: Math.max(Math.ceil(x.hi), Math.floor(x.lo) + 1) };
  const y: Extent = o.yRange ? { lo: o.yRange[0], hi: o.yRange[1] } : extentOf(ys);
  const entries: LegendEntry[] = o.series.map((s, i) => ({ label: s.name, colour: colour(i), dashed: s.dashed }));
  if (o.budget) entries.push({ label: o.budget.label, colour: BUDGET_COLOUR, dashed: true });
  // Many series (one per site): the legend goes beside the plot, where it hides no data.
  const outside = entries.length > 3;
  const f: Frame = { width, height, left: 60, right: outside ? legendWidth(entries) + 20 : 16, top: 30, bottom: 42, x, y };
  const xTicks = o.integerX ? integerTicks(x) : undefined;
  const body = axes(f, o.xLabel, o.yLabel, xTicks);
  if (o.series.every((s) => s.points.length === 0)) {
    body.push(`<text x="${width / 2}" y="${height / 2}" text-anchor="middle" fill="#888888">no data yet</text>`);
  }
  o.series.forEach((s, i) => {
    const c = colour(i);
    body.push(`<g class="series" data-series="${i}">`);
    const d = pathData(f, s.points);
    if (d) body.push(`<path d="${d}" fill="none" stroke="${c}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
    for (const [px, py] of s.points) {
      if (Number.isFinite(px) && Number.isFinite(py)) body.push(`<circle cx="${round(plotX(f, px))}" cy="${round(plotY(f, py))}" r="3" fill="${c}"/>`);
    }
    body.push('</g>');
  });
  if (o.budget) {
    const by = round(plotY(f, o.budget.value));
    body.push(`<line class="budget" x1="${f.left}" y1="${by}" x2="${width - f.right}" y2="${by}" stroke="${BUDGET_COLOUR}" stroke-width="1.5" stroke-dasharray="8 4"/>`);
  }
  body.push(...legend(f, entries, outside ? 'outside' : o.budget ? 'bottom-right' : 'top-right'));
  return svgDocument(width, height, o.title, body);
}

function integerTicks(x: Extent): number[] {
  const span = x.hi - x.lo;
  const step = Math.max(1, Math.ceil(span / 10));
  const ticks: number[] = [];
  for (let t = x.lo; t <= x.hi && ticks.length <= 12; t += step) ticks.push(t);
  return ticks;
}

const round = (v: number): number => Math.round(v * 100) / 100;
