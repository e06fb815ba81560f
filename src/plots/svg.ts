/**
 * The pieces every chart shares: text escaping, number formatting, "nice"
 * axis ticks, the plot frame with axes and a legend. Everything returns SVG
 * markup as a string, so the same charts serve files, PNGs and the dashboard.
 */

/** Text and attribute values go through here: names come from configs and node names. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Colour-blind-safe palette (Okabe-Ito), cycled for more series. */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000'];

export const colour = (i: number): string => PALETTE[i % PALETTE.length]!;

/** Short labels: 4 significant digits at most, no trailing zeros. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const abs = Math.abs(v);
  if (abs >= 1e5 || abs < 1e-3) return v.toExponential(1);
  return String(Number(v.toPrecision(4)));
}

/** About `count` round-numbered ticks covering [lo, hi] (1, 2, 5 times a power of ten). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(count, 1);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw * (1 - 1e-9)) ?? 10 * power;
  const ticks: number[] = [];
  // At most count*3 ticks: the loop is bounded whatever the input.
  for (let t = Math.ceil(lo / step) * step, i = 0; t <= hi + step * 1e-9 && i < count * 3; t += step, i++) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

export interface Extent {
  lo: number;
  hi: number;
}

/** The range of the values, widened when flat so a constant series still gets an axis. */
export function extentOf(values: number[], fallback: Extent = { lo: 0, hi: 1 }): Extent {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return fallback;
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  if (hi > lo) return { lo, hi };
  const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
  return { lo: lo - pad, hi: hi + pad };
}

export interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
  x: Extent;
  y: Extent;
}

export const plotX = (f: Frame, v: number): number => f.left + ((v - f.x.lo) / (f.x.hi - f.x.lo)) * (f.width - f.left - f.right);
export const plotY = (f: Frame, v: number): number => f.height - f.bottom - ((v - f.y.lo) / (f.y.hi - f.y.lo)) * (f.height - f.top - f.bottom);

const px = (v: number): string => String(Math.round(v * 100) / 100);

export function text(x: number, y: number, content: string, attrs = ''): string {
  return `<text x="${px(x)}" y="${px(y)}"${attrs ? ` ${attrs}` : ''}>${escapeXml(content)}</text>`;
}

export function svgDocument(width: number, height: number, title: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    text(width / 2, 18, title, 'text-anchor="middle" font-size="14" font-weight="bold"'),
    ...body,
    '</svg>',
  ].join('\n');
}

/** Axes, ticks, grid lines and axis labels of a frame. */
export function axes(f: Frame, xLabel: string, yLabel: string, xTicks = niceTicks(f.x.lo, f.x.hi), yTicks = niceTicks(f.y.lo, f.y.hi)): string[] {
  const out = [`<g class="axes" stroke="#333333" stroke-width="1">`];
  const x0 = f.left;
  const x1 = f.width - f.right;
  const y0 = f.height - f.bottom;
  const y1 = f.top;
  out.push(`<line x1="${px(x0)}" y1="${px(y0)}" x2="${px(x1)}" y2="${px(y0)}"/>`, `<line x1="${px(x0)}" y1="${px(y0)}" x2="${px(x0)}" y2="${px(y1)}"/>`);
  for (const t of xTicks) {
    const x = plotX(f, t);
    out.push(`<line x1="${px(x)}" y1="${px(y0)}" x2="${px(x)}" y2="${px(y0 + 5)}"/>`);
  }
  for (const t of yTicks) {
    const y = plotY(f, t);
    out.push(`<line x1="${px(x0 - 5)}" y1="${px(y)}" x2="${px(x0)}" y2="${px(y)}"/>`, `<line x1="${px(x0)}" y1="${px(y)}" x2="${px(x1)}" y2="${px(y)}" stroke="#e5e5e5"/>`);
  }
  out.push('</g>', '<g class="tick-labels" fill="#333333">');
  for (const t of xTicks) out.push(text(plotX(f, t), y0 + 18, formatNumber(t), 'text-anchor="middle"'));
  for (const t of yTicks) out.push(text(x0 - 8, plotY(f, t) + 4, formatNumber(t), 'text-anchor="end"'));
  out.push('</g>');
  out.push(text((x0 + x1) / 2, f.height - 6, xLabel, 'text-anchor="middle"'));
  out.push(text(14, (y0 + y1) / 2, yLabel, `text-anchor="middle" transform="rotate(-90 14 ${px((y0 + y1) / 2)})"`));
  return out;
}

export interface LegendEntry {
  label: string;
  colour: string;
  dashed?: boolean;
}

export const legendWidth = (entries: LegendEntry[]): number => Math.min(260, 40 + Math.max(0, ...entries.map((e) => e.label.length)) * 7);

/** A legend box inside a corner of the plot area, or beside it (outside: the frame's right margin must hold it). */
export function legend(f: Frame, entries: LegendEntry[], corner: 'top-right' | 'bottom-right' | 'outside' = 'top-right'): string[] {
  if (entries.length === 0) return [];
  const width = legendWidth(entries);
  const height = entries.length * 18 + 8;
  const x = corner === 'outside' ? f.width - f.right + 10 : f.width - f.right - width - 6;
  const y = corner === 'bottom-right' ? f.height - f.bottom - height - 6 : f.top + 6;
  const out = [`<g class="legend">`, `<rect x="${px(x)}" y="${px(y)}" width="${px(width)}" height="${height}" fill="#ffffff" fill-opacity="0.85" stroke="#cccccc"/>`];
  entries.forEach((e, i) => {
    const ly = y + 14 + i * 18;
    out.push(`<line x1="${px(x + 8)}" y1="${px(ly - 4)}" x2="${px(x + 28)}" y2="${px(ly - 4)}" stroke="${e.colour}" stroke-width="2"${e.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
    out.push(text(x + 34, ly, e.label));
  });
  out.push('</g>');
  return out;
}

/** A polyline path through finite points (gaps where a value is missing). */
export function pathData(f: Frame, points: [number, number][]): string {
  let d = '';
  let pen = false;
  for (const [x, y] of points) {
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${px(plotX(f, x))} ${px(plotY(f, y))}`;
    pen = true;
  }
  return d;
}
