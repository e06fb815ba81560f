import type { Command } from 'commander';
import { PrivmedError } from '../../common/errors.js';
import { initBackend, type BackendName } from '../../engine/backend.js';
import { loadModel } from '../../models/io.js';
import { mkdirSync } from 'node:fs';
import { classificationMetrics } from '../../metrics/classification.js';
import { writeEvaluationCharts } from '../../plots/evaluation-charts.js';
import { predict } from '../../training/evaluate.js';
import { formatMetrics, printJson } from '../output.js';
import { evaluationData, formatRecall } from './predict.js';
import { evaluateSegmentationFolder, type CaseSelection } from '../../site/segment-folder.js';
import { formatSegmentation, segmentationJson } from './segmentation-output.js';

export function registerEvaluateCommand(program: Command): void {
  program
    .command('evaluate')
    .description('accuracy, ROC-AUC, MCC, per-class recall and confusion matrix of a saved classifier; Dice, IoU and HD95 per class of a segmentation model (on a folder with images/ and labels/)')
    .requiredOption('--model <dir>', 'model folder (as written by privmed train)')
    .requiredOption('--data <path>', 'MedMNIST .npz file or name (pneumoniamnist), or a folder of class folders (FOLDER/<class>/ or FOLDER/<split>/<class>/; kather2016)')
    .option('--split <split>', 'train, val or test', 'test')
    .option('--backend <name>', 'wasm, cpu or tensorflow', 'wasm')
    .option('--json', 'print one JSON object', false)
    .option('--plots <dir>', 'also write roc, confusion and calibration charts (.svg and .png) into this folder')
    .option('--tta <kind>', "test-time augmentation: the model's own (stored), dihedral or none", 'stored')
    .option('--cases <which>', "segmentation: all cases of the folder, or the model's own train, val or test cases (its stored split)", 'all')
    .action(async (opts: { model: string; data: string; split: string; backend: BackendName; json: boolean; plots?: string; cases: string; tta: string }) => {
      if (!['train', 'val', 'test'].includes(opts.split)) throw new PrivmedError(`--split: expected train, val or test, got '${opts.split}'`);
      if (!['stored', 'dihedral', 'none'].includes(opts.tta)) throw new PrivmedError(`--tta: expected stored, dihedral or none, got '${opts.tta}'`);
      if (!['all', 'train', 'val', 'test'].includes(opts.cases)) throw new PrivmedError(`--cases: expected all, train, val or test, got '${opts.cases}'`);
      const line = await initBackend(opts.backend);
      if (!opts.json) process.stderr.write(line + '\n');
      const { model, meta } = await loadModel(opts.model);
      if (meta.segmentation) {
        // Segmentation: the cases of a folder with images/ and labels/, scored in 3-D.
        const m = await evaluateSegmentationFolder({ model, meta }, opts.model, opts.data, opts.cases as CaseSelection);
        if (opts.json) printJson({ model: opts.model, data: opts.data, ...segmentationJson(m, m.classes), perCase: m.perCase });
        else console.log(formatSegmentation(m, m.classes, 'evaluate'));
        return;
      }
      // predict (not evaluate): the charts need the probabilities, the metrics come from the same ones.
      const tta = opts.tta === 'stored' ? meta.tta : opts.tta === 'dihedral' ? 'dihedral' : undefined;
      const p = await predict(model, await evaluationData(opts.data, opts.split, opts.model, meta), 128, tta);
      const m = { ...classificationMetrics(p.labels, p.probs, meta.classes.length), loss: p.loss };
      let plots: string[] | undefined;
      if (opts.plots) {
        mkdirSync(opts.plots, { recursive: true });
        plots = await writeEvaluationCharts(opts.plots, { labels: p.labels, probs: p.probs, classes: meta.classes }, opts.split);
      }
      if (opts.json) printJson({ model: opts.model, data: opts.data, split: opts.split, tta: tta ?? 'none', ...m, ...(plots ? { plots } : {}) });
      else console.log(`${formatMetrics(m, meta.classes, opts.split)}\n${formatRecall(m.recall, meta.classes)}${plots ? `\nplots: ${plots.join(', ')}` : ''}`);
    });
}
