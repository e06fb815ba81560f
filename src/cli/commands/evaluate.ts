import type { Command } from 'commander';
import { PrivmedError } from '../../common/errors.js';
import { TransformedDataset } from '../../data/dataset.js';
import { normaliseTransform } from '../../data/preprocess/normalize.js';
import { openMedMnist } from '../../data/resolve.js';
import { initBackend, type BackendName } from '../../engine/backend.js';
import { loadModel } from '../../models/io.js';
import { evaluate } from '../../training/evaluate.js';
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
    .action(async (opts: { model: string; data: string; split: string; backend: BackendName; json: boolean }) => {
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
      const m = await evaluate(model, new TransformedDataset(ds, normaliseTransform(meta.normalisation), 0));
      if (opts.json) printJson({ model: opts.model, data: opts.data, split: opts.split, ...m });
      else console.log(formatMetrics(m, meta.classes, opts.split));
    });
}
