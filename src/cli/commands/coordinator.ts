import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { PrivmedError } from '../../common/errors.js';
import { readYamlFile } from '../../common/config-file.js';
import { parseCoordinatorConfig } from '../../federation/coordinator/config.js';
import { runCoordinator, type CoordinatorOptions } from '../../federation/coordinator/run-coordinator.js';
import { eventLine } from '../../simulation/event-lines.js';
import { liveFederationFor } from '../live/live-federation.js';

export function registerCoordinatorCommand(program: Command): void {
  program
    .command('coordinator')
    .description('run the federation coordinator (model owner): drives rounds, aggregates, keeps the run in SQLite')
    .requiredOption('--config <file>', 'coordinator configuration (YAML, see docs/federation.md)')
    .option('--events', 'print events as JSON lines on stdout (for privmed simulate\'s live view)', false)
    .action(async (opts: { config: string; events: boolean }) => {
      const config = parseCoordinatorConfig(readYamlFile(opts.config), opts.config);
      const abort = new AbortController();
      process.once('SIGINT', () => abort.abort());
      process.once('SIGTERM', () => abort.abort());
      // A person at a terminal gets the live view, the log goes next to the database; a parent process (--events) parses our output instead.
      const live = opts.events
        ? null
        : liveFederationFor(process.stderr, false, join(dirname(resolve(config.database)), 'coordinator.log'), {
            runName: config.runName,
            protocol: config.aggregation,
            totalRounds: config.rounds,
            sites: config.allowedNodes,
            metric: config.evaluate.metric,
          });
      const options: CoordinatorOptions = { signal: abort.signal };
      if (opts.events) options.onEvent = (e) => void process.stdout.write(eventLine(e) + '\n');
      if (live) {
        options.onEvent = (e) => live.coordinatorEvent(e);
        options.log = (line) => live.log(`privmed coordinator: ${line}`);
        live.start();
      }
      let result;
      try {
        result = await runCoordinator(config, options);
      } finally {
        live?.close();
      }
      if (result.status === 'failed') throw new PrivmedError(`run '${result.runName}' failed: ${result.message}`);
      process.stderr.write(`privmed coordinator: run '${result.runName}' ${result.status}: ${result.message}\n`);
    });
}
