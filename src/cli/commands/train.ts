import type { Command } from 'commander';
import { loadYamlConfig } from '../../config/validate.js';
import { TrainConfigSchema } from '../../config/train-config.js';
import { runTraining } from '../../training/run.js';
import { formatMetrics, printJson } from '../output.js';
import { humanRenderer, jsonRenderer } from '../progress.js';

export function registerTrainCommand(program: Command): void {
  program
    .command('train')
    .description('train a classifier locally from a YAML config (see docs/configuration.md)')
    .requiredOption('--config <file>', 'run configuration (YAML)')
    .option('--resume', 'continue from the last checkpoint in the output folder', false)
    .option('--json', 'print JSON lines instead of a progress bar', false)
    .action(async (opts: { config: string; resume: boolean; json: boolean }) => {
      const cfg = loadYamlConfig(TrainConfigSchema, opts.config);
      const render = opts.json ? jsonRenderer() : humanRenderer();
      const out = await runTraining(cfg, {
        resume: opts.resume,
        onEvent: render,
        onBackend: (line) => (opts.json ? printJson({ type: 'backend', backend: line }) : process.stderr.write(line + '\n')),
      });
      if (opts.json) printJson({ type: 'test', model: out.modelDir, ...out.test });
      else console.log(`${formatMetrics(out.test, out.classes)}\nmodel saved to ${out.modelDir}`);
    });
}
