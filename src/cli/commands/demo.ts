import type { Command } from 'commander';
import { PrivmedError } from '../../common/errors.js';
import { TrainConfigSchema } from '../../config/train-config.js';
import { parseWith } from '../../config/validate.js';
import { runTraining } from '../../training/run.js';
import { formatMetrics, printJson } from '../output.js';
import { humanRenderer, jsonRenderer } from '../progress.js';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('train and evaluate a pneumonia classifier on PneumoniaMNIST (paediatric chest X-rays)')
    .option('--data <dir>', 'data root holding pneumoniamnist/ (default: $PRIVMED_DATA or ../shared/data)')
    .option('--arch <arch>', 'small-cnn or resnet18', 'small-cnn')
    .option('--epochs <n>', 'training epochs', '6')
    .option('--backend <name>', 'wasm, cpu or tensorflow', 'wasm')
    .option('--output <dir>', 'where the model goes', 'runs/demo')
    .option('--json', 'print JSON lines', false)
    .action(async (opts: { data?: string; arch: string; epochs: string; backend: string; output: string; json: boolean }) => {
      const epochs = Number(opts.epochs);
      if (!Number.isInteger(epochs) || epochs < 1) throw new PrivmedError(`--epochs: expected a positive integer, got '${opts.epochs}'`);
      const cfg = parseWith(TrainConfigSchema, {
        data: { dataset: 'pneumoniamnist', root: opts.data },
        model: { arch: opts.arch, norm: 'group' },
        training: { epochs, batchSize: 64, optimizer: { name: 'adam', lr: 2e-3 }, patience: 0 },
        backend: opts.backend,
        output: opts.output,
      });
      const out = await runTraining(cfg, {
        onEvent: opts.json ? jsonRenderer() : humanRenderer(),
        onBackend: (line) => (opts.json ? printJson({ type: 'backend', backend: line }) : process.stderr.write(line + '\n')),
      });
      if (opts.json) printJson({ type: 'test', ...out.test });
      else console.log(`${formatMetrics(out.test, out.classes)}\nmodel saved to ${out.modelDir}`);
    });
}
