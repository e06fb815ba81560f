import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { PrivmedError } from '../../common/errors.js';
import { parseCoordinatorConfig } from '../../federation/coordinator/config.js';
import { runCoordinator } from '../../federation/coordinator/run-coordinator.js';

export function readYaml(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PrivmedError(`${file}: cannot read config (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    return parse(text) ?? {};
  } catch (err) {
    throw new PrivmedError(`${file}: invalid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
}

export function registerCoordinatorCommand(program: Command): void {
  program
    .command('coordinator')
    .description('run the federation coordinator (model owner): drives rounds, aggregates, keeps the run in SQLite')
    .requiredOption('--config <file>', 'coordinator configuration (YAML, see docs/federation.md)')
    .action(async (opts: { config: string }) => {
      const config = parseCoordinatorConfig(readYaml(opts.config), opts.config);
      const abort = new AbortController();
      process.once('SIGINT', () => abort.abort());
      process.once('SIGTERM', () => abort.abort());
      const result = await runCoordinator(config, { signal: abort.signal });
      if (result.status === 'failed') throw new PrivmedError(`run '${result.runName}' failed: ${result.message}`);
      process.stderr.write(`privmed coordinator: run '${result.runName}' ${result.status}: ${result.message}\n`);
    });
}
