import type { Command } from 'commander';
import { PrivmedError } from '../../common/errors.js';
import { readYamlFile } from '../../common/config-file.js';
import { parseCoordinatorConfig } from '../../federation/coordinator/config.js';
import { runCoordinator } from '../../federation/coordinator/run-coordinator.js';

export function registerCoordinatorCommand(program: Command): void {
  program
    .command('coordinator')
    .description('run the federation coordinator (model owner): drives rounds, aggregates, keeps the run in SQLite')
    .requiredOption('--config <file>', 'coordinator configuration (YAML, see docs/federation.md)')
    .action(async (opts: { config: string }) => {
      const config = parseCoordinatorConfig(readYamlFile(opts.config), opts.config);
      const abort = new AbortController();
      process.once('SIGINT', () => abort.abort());
      process.once('SIGTERM', () => abort.abort());
      const result = await runCoordinator(config, { signal: abort.signal });
      if (result.status === 'failed') throw new PrivmedError(`run '${result.runName}' failed: ${result.message}`);
      process.stderr.write(`privmed coordinator: run '${result.runName}' ${result.status}: ${result.message}\n`);
    });
}
