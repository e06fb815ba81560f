/** Confusion matrix of K classes: counts in the cells, shading by the row-normalised rate (recall per class). */
import { escapeXml, svgDocument, text } from './svg.js';

export interface ConfusionInput {
  /** confusion[true][predicted], as classificationMetrics returns it. */
  confusion: number[][];
  classes: string[];
  title?: string;
}

/** Light to dark blue; text turns white on dark cells to stay readable. */
function shade(rate: number): string {
  const t = Math.min(Math.max(rate, 0), 1);
  const mix = (a: number, b: number) => Math.round(a + (b - a) * t);
  return `rgb(${mix(247, 8)},${mix(251, 48)},${mix(255, 107)})`;
}

export function confusionChart(o: ConfusionInput): string {
  const k = o.classes.length;
  const cell = Math.max(36, Math.min(90, Math.floor(420 / Math.max(k, 1))));
  const labelWidth = Math.min(160, 20 + Math.max(...o.classes.map((c) => c.length), 4) * 7);
  const left = labelWidth + 30;
  const top = 56;
  const width = left + k * cell + 20;
  const height = top + k * cell + labelWidth + 20;
  const body: string[] = [];
  for (let r = 0; r < k; r++) {
    const row = o.confusion[r] ?? [];
    const total = row.reduce((s, v) => s + v, 0);
    for (let c = 0; c < k; c++) {
      const count = row[c] ?? 0;
      const rate = total ? count / total : 0;
      const x = left + c * cell;
      const y = top + r * cell;
      body.push(`<rect class="cell" x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${shade(rate)}" stroke="#ffffff"><title>${escapeXml(`true ${o.classes[r]}, predicted ${o.classes[c]}: ${count} (${(rate * 100).toFixed(1)}% of the row)`)}</title></rect>`);
      const fill = rate > 0.5 ? '#ffffff' : '#111111';
      body.push(text(x + cell / 2, y + cell / 2, String(count), `text-anchor="middle" fill="${fill}" font-size="13"`));
      body.push(text(x + cell / 2, y + cell / 2 + 15, `${(rate * 100).toFixed(0)}%`, `text-anchor="middle" fill="${fill}" font-size="10"`));
    }
    body.push(text(left - 6, top + r * cell + cell / 2 + 4, o.classes[r]!, 'text-anchor="end"'));
  }
  for (let c = 0; c < k; c++) {
    const x = left + c * cell + cell / 2;
    const y = top + k * cell + 8;
    body.push(text(x, y, o.classes[c]!, `text-anchor="end" transform="rotate(-45 ${x} ${y})"`));
  }
  body.push(text(left + (k * cell) / 2, top - 8, 'predicted', 'text-anchor="middle" font-style="italic"'));
  body.push(text(14, top + (k * cell) / 2, 'true', `text-anchor="middle" font-style="italic" transform="rotate(-90 14 ${top + (k * cell) / 2})"`));
  return svgDocument(width, height, o.title ?? 'Confusion matrix', body);
}
