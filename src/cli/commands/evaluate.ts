import type { Command } from 'commander';
import { PrivmedError } from '../../common/errors.js';
import { TransformedDataset, type Dataset } from '../../data/dataset.js';
import { openClassFolders } from '../../data/image-folders.js';
import { fileOptionsFromSpec, preprocessedDataset } from '../../data/preprocess/build.js';
import { normaliseTransform } from '../../data/preprocess/normalize.js';
import { datasetFolder, openMedMnist } from '../../data/resolve.js';
import { initBackend, type BackendName } from '../../engine/backend.js';
import { loadModel, type ModelMetadata } from '../../models/io.js';
import { mkdirSync } from 'node:fs';
import { classificationMetrics } from '../../metrics/classification.js';
import { writeEvaluationCharts } from '../../plots/evaluation-charts.js';
import { predict } from '../../training/evaluate.js';
import { formatMetrics, printJson } from '../output.js';
import { inferencePreprocessing } from './predict.js';

/**
 * The data a model is scored on, preprocessed as it was trained: a folder of
 * class folders (DIR/<class>/, or DIR/<split>/<class>/; kather2016 by name),
 * read with the model's stored preprocessing (size, stain), or a MedMNIST split.
 */
export async function evaluationData(data: string, split: string, dir: string, meta: ModelMetadata): Promise<Dataset> {
  const folder = datasetFolder(data);
  const spec = inferencePreprocessing(meta, dir);
  if (folder) return preprocessedDataset(await openClassFolders(folder, split, fileOptionsFromSpec(spec), meta.classes), spec, { train: false, seed: 0 });
  const ds = (await openMedMnist(data)).splits[split as 'train' | 'val' | 'test'];
  const [h, w, c] = meta.spec.inputShape;
  if (ds.info.height !== h || ds.info.width !== w || ds.info.channels !== c) {
    throw new PrivmedError(`${data}: images are ${ds.info.height}x${ds.info.width}x${ds.info.channels}, the model expects ${h}x${w}x${c}`);
  }
  return new TransformedDataset(ds, normaliseTransform(meta.normalisation), 0);
}

/** Per-class recall, one line. */
export function formatRecall(recall: readonly number[], classes: readonly string[]): string {
  return `recall per class: ${recall.map((r, k) => `${classes[k]} ${Number.isNaN(r) ? '-' : r.toFixed(3)}`).join(', ')}`;
}

export function registerEvaluateCommand(program: Command): void {
  program
    .command('evaluate')
    .description('accuracy, ROC-AUC, MCC, per-class recall and confusion matrix of a saved model')
    .requiredOption('--model <dir>', 'model folder (as written by privmed train)')
    .requiredOption('--data <path>', 'MedMNIST .npz file or name (pneumoniamnist), or a folder of class folders (FOLDER/<class>/ or FOLDER/<split>/<class>/; kather2016)')
    .option('--split <split>', 'train, val or test', 'test')
    .option('--backend <name>', 'wasm, cpu or tensorflow', 'wasm')
    .option('--json', 'print one JSON object', false)
    .option('--plots <dir>', 'also write roc, confusion and calibration charts (.svg and .png) into this folder')
    .action(async (opts: { model: string; data: string; split: string; backend: BackendName; json: boolean; plots?: string }) => {
      if (!['train', 'val', 'test'].includes(opts.split)) throw new PrivmedError(`--split: expected train, val or test, got '${opts.split}'`);
      const line = await initBackend(opts.backend);
      if (!opts.json) process.stderr.write(line + '\n');
      const { model, meta } = await loadModel(opts.model);
      // predict (not evaluate): the charts need the probabilities, the metrics come from the same ones.
      const p = await predict(model, await evaluationData(opts.data, opts.split, opts.model, meta));
      const m = { ...classificationMetrics(p.labels, p.probs, meta.classes.length), loss: p.loss };
      let plots: string[] | undefined;
      if (opts.plots) {
        mkdirSync(opts.plots, { recursive: true });
        plots = await writeEvaluationCharts(opts.plots, { labels: p.labels, probs: p.probs, classes: meta.classes }, opts.split);
      }
      if (opts.json) printJson({ model: opts.model, data: opts.data, split: opts.split, ...m, ...(plots ? { plots } : {}) });
      else console.log(`${formatMetrics(m, meta.classes, opts.split)}\n${formatRecall(m.recall, meta.classes)}${plots ? `\nplots: ${plots.join(', ')}` : ''}`);
    });
}
