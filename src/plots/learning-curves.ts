/** Learning curves of a local training run: loss (train, validation) and validation metrics per epoch, side by side. */
import { lineChart, type Series } from './line-chart.js';
import { escapeXml } from './svg.js';

/** One record per epoch, as train() returns in `history` (epoch, trainLoss, valLoss, valAuc, valMcc, ...). */
export type EpochRecord = Record<string, number>;

const column = (history: EpochRecord[], key: string): [number, number][] => history.map((h) => [h.epoch ?? NaN, h[key] ?? NaN]);

/** Two panels in one SVG: nested <svg> elements keep each chart's own coordinates. */
export function sideBySide(title: string, charts: string[], width = 640, height = 360): string {
  const inner = charts.map((c, i) => c.replace(/^<svg /, `<svg x="${i * width}" y="0" `));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width * charts.length}" height="${height}" viewBox="0 0 ${width * charts.length} ${height}">`,
    `<title>${escapeXml(title)}</title>`,
    ...inner,
    '</svg>',
  ].join('\n');
}

export function learningCurvesChart(history: EpochRecord[], metrics: string[] = ['valAuc', 'valMcc']): string {
  const loss: Series[] = [
    { name: 'training loss', points: column(history, 'trainLoss') },
    { name: 'validation loss', points: column(history, 'valLoss'), dashed: true },
  ];
  const quality: Series[] = metrics.map((m) => ({ name: `validation ${m.replace(/^val/, '').toUpperCase()}`, points: column(history, m) }));
  return sideBySide('Learning curves', [
    lineChart({ title: 'Loss per epoch', xLabel: 'epoch', yLabel: 'loss', series: loss, integerX: true }),
    lineChart({ title: 'Validation metrics per epoch', xLabel: 'epoch', yLabel: 'value', series: quality, integerX: true, yRange: [Math.min(0, ...quality.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite)), 1] }),
  ]);
}
