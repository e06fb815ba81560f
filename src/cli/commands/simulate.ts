import type { Command } from 'commander';
import { loadYamlConfig } from '../../common/config-file.js';
import { SimulationSchema } from '../../simulation/config.js';
import { simulate, type SimulationResult } from '../../simulation/simulate.js';
import { formatMetrics, printJson } from '../output.js';

export function printSimulationResult(r: SimulationResult, json: boolean): void {
  if (json) {
    printJson({ type: 'result', status: r.status, bestRound: r.bestRound, seconds: r.seconds, model: r.modelDir, test: r.test });
    return;
  }
  console.log(`federation ${r.status}; best round ${r.bestRound ?? '-'}; ${r.seconds.toFixed(0)} s`);
  if (r.test) console.log(formatMetrics(r.test, r.classes));
  console.log(`global model saved to ${r.modelDir}`);
}

export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description('run a federation on this machine: a coordinator and one node process per site, over mutual TLS on loopback')
    .requiredOption('--config <file>', 'simulation configuration (YAML)')
    .option('--verbose-nodes', 'also print the nodes\' log lines', false)
    .option('--json', 'print the result as JSON', false)
    .action(async (opts: { config: string; verboseNodes: boolean; json: boolean }) => {
      const cfg = loadYamlConfig(SimulationSchema, opts.config);
      const r = await simulate(cfg, {
        onLine: (source, line) => (source === 'coordinator' || opts.verboseNodes) && process.stderr.write(line + '\n'),
      });
      printSimulationResult(r, opts.json);
    });
}
