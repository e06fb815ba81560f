/** Printing results: human text on stdout, or one JSON object with --json. */
import type { ClassificationMetrics } from '../metrics/classification.js';

export function formatMetrics(m: ClassificationMetrics, classes: string[], prefix = 'test'): string {
  const lines = [
    `${prefix} AUC ${m.auc.toFixed(4)}`,
    `${prefix} accuracy ${m.accuracy.toFixed(4)}`,
    `${prefix} MCC ${m.mcc.toFixed(4)}`,
  ];
  if (m.sensitivity !== undefined) lines.push(`${prefix} sensitivity ${m.sensitivity.toFixed(4)}  (recall of '${classes[1]}')`);
  if (m.specificity !== undefined) lines.push(`${prefix} specificity ${m.specificity.toFixed(4)}  (recall of '${classes[0]}')`);
  const w = Math.max(...classes.map((c) => c.length), 6);
  lines.push(`confusion matrix (rows: true, columns: predicted), n = ${m.n}`);
  lines.push(' '.repeat(w + 2) + classes.map((c) => c.padStart(w)).join(' '));
  m.confusion.forEach((row, i) => lines.push(classes[i]!.padEnd(w + 2) + row.map((v) => String(v).padStart(w)).join(' ')));
  return lines.join('\n');
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value) + '\n');
}
