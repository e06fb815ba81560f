/** The charts of one evaluation (privmed evaluate --plots): ROC, confusion matrix, calibration. */
import { classificationMetrics } from '../metrics/classification.js';
import { calibrationChart } from './calibration.js';
import { confusionChart } from './confusion.js';
import { writeChart } from './png.js';
import { rocChart } from './roc.js';

export interface ScoredSet {
  labels: ArrayLike<number>;
  /** Row-major [n, classes.length] probabilities. */
  probs: Float32Array | number[];
  classes: string[];
}

export function evaluationCharts(s: ScoredSet, split = 'test'): Record<'roc' | 'confusion' | 'calibration', string> {
  const { confusion } = classificationMetrics(s.labels, s.probs, s.classes.length);
  return {
    roc: rocChart({ ...s, title: `ROC curve (${split}, n = ${s.labels.length})` }),
    confusion: confusionChart({ confusion, classes: s.classes, title: `Confusion matrix (${split})` }),
    calibration: calibrationChart({ ...s, title: `Calibration (${split})` }),
  };
}

/** Writes roc, confusion and calibration as .svg and .png into dir; returns the paths. */
export async function writeEvaluationCharts(dir: string, s: ScoredSet, split = 'test'): Promise<string[]> {
  const charts = evaluationCharts(s, split);
  const paths: string[] = [];
  for (const [name, svg] of Object.entries(charts)) paths.push(...(await writeChart(dir, name, svg)));
  return paths;
}
