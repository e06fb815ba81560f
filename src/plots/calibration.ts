/**
 * Reliability diagram: predicted probability against observed frequency in
 * equal-width bins. Binary tasks use the positive class's probability; more
 * classes use the top-label confidence against its accuracy.
 */
import { axes, colour, formatNumber, legend, pathData, plotX, plotY, svgDocument, type Frame } from './svg.js';

export interface CalibrationBin {
  lo: number;
  hi: number;
  count: number;
  /** Mean predicted probability in the bin. */
  confidence: number;
  /** Observed frequency of the event in the bin. */
  frequency: number;
}

export interface Calibration {
  bins: CalibrationBin[];
  /** Expected calibration error: the count-weighted mean |frequency - confidence|. */
  ece: number;
}

export function calibration(labels: ArrayLike<number>, probs: ArrayLike<number>, numClasses: number, bins = 10): Calibration {
  const n = labels.length;
  const sums = Array.from({ length: bins }, () => ({ count: 0, p: 0, hits: 0 }));
  for (let i = 0; i < n; i++) {
    let p: number;
    let hit: boolean;
    if (numClasses === 2) {
      p = probs[i * 2 + 1]!;
      hit = labels[i] === 1;
    } else {
      let best = 0;
      for (let c = 1; c < numClasses; c++) if (probs[i * numClasses + c]! > probs[i * numClasses + best]!) best = c;
      p = probs[i * numClasses + best]!;
      hit = labels[i] === best;
    }
    const b = sums[Math.min(bins - 1, Math.max(0, Math.floor(p * bins)))]!;
    b.count++;
    b.p += p;
    if (hit) b.hits++;
  }
  const out = sums.map((s, i) => ({ lo: i / bins, hi: (i + 1) / bins, count: s.count, confidence: s.count ? s.p / s.count : NaN, frequency: s.count ? s.hits / s.count : NaN }));
  const ece = n ? out.reduce((e, b) => (b.count ? e + (b.count / n) * Math.abs(b.frequency - b.confidence) : e), 0) : NaN;
  return { bins: out, ece };
}

export interface CalibrationInput {
  labels: ArrayLike<number>;
  probs: ArrayLike<number>;
  classes: string[];
  bins?: number;
  title?: string;
}

export function calibrationChart(o: CalibrationInput): string {
  const k = o.classes.length;
  const c = calibration(o.labels, o.probs, k, o.bins ?? 10);
  const width = 480;
  const height = 480;
  const f: Frame = { width, height, left: 60, right: 16, top: 30, bottom: 42, x: { lo: 0, hi: 1 }, y: { lo: 0, hi: 1 } };
  const what = k === 2 ? `P(${o.classes[1]})` : 'top-label confidence';
  const body = axes(f, `predicted ${what}`, k === 2 ? `observed frequency of ${o.classes[1]}` : 'observed accuracy');
  // Bars: how many predictions each bin holds (scaled to the fullest bin), so sparse bins are visible.
  const most = Math.max(1, ...c.bins.map((b) => b.count));
  for (const b of c.bins) {
    if (!b.count) continue;
    const x0 = plotX(f, b.lo);
    const x1 = plotX(f, b.hi);
    const h = (b.count / most) * 0.25;
    body.push(`<rect class="bin" x="${x0.toFixed(2)}" y="${plotY(f, h).toFixed(2)}" width="${(x1 - x0 - 1).toFixed(2)}" height="${(plotY(f, 0) - plotY(f, h)).toFixed(2)}" fill="#dddddd"><title>${b.count} predictions</title></rect>`);
  }
  body.push(`<path class="perfect" d="${pathData(f, [[0, 0], [1, 1]])}" stroke="#999999" stroke-dasharray="4 4" fill="none"/>`);
  const points = c.bins.filter((b) => b.count > 0).map((b) => [b.confidence, b.frequency] as [number, number]);
  body.push(`<path class="reliability" d="${pathData(f, points)}" fill="none" stroke="${colour(0)}" stroke-width="2"/>`);
  for (const [x, y] of points) body.push(`<circle cx="${plotX(f, x).toFixed(2)}" cy="${plotY(f, y).toFixed(2)}" r="3.5" fill="${colour(0)}"/>`);
  body.push(
    ...legend(f, [
      { label: `model (ECE ${Number.isNaN(c.ece) ? 'n/a' : formatNumber(Number(c.ece.toFixed(4)))})`, colour: colour(0) },
      { label: 'perfectly calibrated', colour: '#999999', dashed: true },
    ], 'top-right'),
  );
  return svgDocument(width, height, o.title ?? 'Calibration (reliability)', body);
}
