/** Printing segmentation results: Dice, IoU and HD95 per foreground class. */
import type { SegmentationMetrics } from '../../metrics/segmentation.js';

const f = (v: number, d = 4) => (Number.isFinite(v) ? v.toFixed(d) : '-');

export function formatSegmentation(m: SegmentationMetrics, classes: readonly string[], prefix = 'test'): string {
  const fg = classes.slice(1);
  const w = Math.max(...fg.map((c) => c.length), 5);
  const lines = [`${prefix}: ${m.n} case(s)`, `${'class'.padEnd(w)}  Dice    IoU     HD95`];
  fg.forEach((c, i) => lines.push(`${c.padEnd(w)}  ${f(m.dice[i]!)}  ${f(m.iou[i]!)}  ${f(m.hd95[i]!, 2)}`));
  lines.push(`${prefix} mean Dice ${f(m.meanDice)}  mean IoU ${f(m.meanIou)}`);
  return lines.join('\n');
}

/** The JSON form: per-class Dice by class name, and meanDice. */
export function segmentationJson(m: SegmentationMetrics, classes: readonly string[]): Record<string, unknown> {
  const byClass = (xs: number[]) => Object.fromEntries(classes.slice(1).map((c, i) => [c, xs[i]]));
  return { cases: m.n, dice: byClass(m.dice), iou: byClass(m.iou), hd95: byClass(m.hd95), meanDice: m.meanDice, meanIou: m.meanIou, ...(m.loss !== undefined ? { loss: m.loss } : {}) };
}
