import type { Command } from 'commander';
import { loadYamlConfig } from '../../common/config-file.js';
import { tune, TuneSchema } from '../../tuning/tune.js';
import { printJson } from '../output.js';

export function registerTuneCommand(program: Command): void {
  program
    .command('tune')
    .description('federation-wide hyperparameter search (random search; each trial is a whole federation)')
    .requiredOption('--config <file>', 'tune configuration (YAML)')
    .option('--json', 'print each trial as JSON', false)
    .action(async (opts: { config: string; json: boolean }) => {
      const cfg = loadYamlConfig(TuneSchema, opts.config);
      const { best } = await tune(cfg, {
        onLine: () => undefined,
        onTrial: (r) =>
          opts.json
            ? printJson({ type: 'trial', ...r })
            : console.log(`trial ${r.trial}: ${JSON.stringify(r.params)} -> ${r.status}, validation ${r.score?.toFixed(4) ?? '-'} (${r.seconds.toFixed(0)} s)`),
      });
      if (opts.json) printJson({ type: 'best', ...best });
      else console.log(best ? `best: trial ${best.trial} ${JSON.stringify(best.params)} validation ${best.score!.toFixed(4)}` : 'no trial finished');
    });
}
