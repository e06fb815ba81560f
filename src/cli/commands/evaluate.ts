import type { Command } from 'commander';
import { PrivmedError } from '../../common/errors.js';
import { TransformedDataset } from '../../data/dataset.js';
import { normaliseTransform } from '../../data/preprocess/normalize.js';
import { openMedMnist } from '../../data/resolve.js';
import { initBackend, type BackendName } from '../../engine/backend.js';
import { loadModel } from '../../models/io.js';
import { mkdirSync } from 'node:fs';
import { classificationMetrics } from '../../metrics/classification.js';
import { writeEvaluationCharts } from '../../plots/evaluation-charts.js';
import { predict } from '../../training/evaluate.js';
import { formatMetrics, printJson } from '../output.js';

export function registerEvaluateCommand(program: Command): void {
  program
    .command('evaluate')
    .description('accuracy, ROC-AUC, MCC, sensitivity, specificity and confusion matrix of a saved model')
    .requiredOption('--model <dir>', 'model folder (as written by privmed train)')
    .requiredOption('--data <path>', 'MedMNIST .npz file or dataset name (e.g. pneumoniamnist)')
    .option('--split <split>', 'train, val or test', 'test')
    .option('--backend <name>', 'wasm, cpu or tensorflow', 'wasm')
    .option('--json', 'print one JSON object', false)
    .option('--plots <dir>', 'also write roc, confusion and calibration charts (.svg and .png) into this folder')
    .action(async (opts: { model: string; data: string; split: string; backend: BackendName; json: boolean; plots?: string }) => {
      if (!['train', 'val', 'test'].includes(opts.split)) throw new PrivmedError(`--split: expected train, val or test, got '${opts.split}'`);
      const line = await initBackend(opts.backend);
      if (!opts.json) process.stderr.write(line + '\n');
      const { model, meta } = await loadModel(opts.model);
      const data = await openMedMnist(opts.data);
      const ds = data.splits[opts.split as 'train' | 'val' | 'test'];
      const [h, w, c] = meta.spec.inputShape;
      if (ds.info.height !== h || ds.info.width !== w || ds.info.channels !== c) {
        throw new PrivmedError(`${opts.data}: images are ${ds.info.height}x${ds.info.width}x${ds.info.channels}, the model expects ${h}x${w}x${c}`);
      }
      // predict (not evaluate): the charts need the probabilities, the metrics come from the same ones.
      const p = await predict(model, new TransformedDataset(ds, normaliseTransform(meta.normalisation), 0));
      const m = { ...classificationMetrics(p.labels, p.probs, meta.classes.length), loss: p.loss };
      let plots: string[] | undefined;
      if (opts.plots) {
        mkdirSync(opts.plots, { recursive: true });
        plots = await writeEvaluationCharts(opts.plots, { labels: p.labels, probs: p.probs, classes: meta.classes }, opts.split);
      }
      if (opts.json) printJson({ model: opts.model, data: opts.data, split: opts.split, ...m, ...(plots ? { plots } : {}) });
      else console.log(`${formatMetrics(m, meta.classes, opts.split)}${plots ? `\nplots: ${plots.join(', ')}` : ''}`);
    });
}
