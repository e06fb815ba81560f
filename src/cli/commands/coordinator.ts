import type { Command } from 'commander';
import { PrivmedError } from '../../common/errors.js';
import { readYamlFile } from '../../common/config-file.js';
import { parseCoordinatorConfig } from '../../federation/coordinator/config.js';
import { runCoordinator } from '../../federation/coordinator/run-coordinator.js';
import { LiveFeed } from '../../dashboard/live-feed.js';
import { openDashboard } from './dashboard.js';

export function registerCoordinatorCommand(program: Command): void {
  program
    .command('coordinator')
    .description('run the federation coordinator (model owner): drives rounds, aggregates, keeps the run in SQLite')
    .requiredOption('--config <file>', 'coordinator configuration (YAML, see docs/federation.md)')
    .option('--dashboard <[host:]port>', 'serve the live read-only web dashboard (loopback unless told otherwise; see docs/dashboard.md)')
    .option('--dashboard-cert <file>', "the dashboard's TLS certificate (PEM): needed to bind anything but loopback")
    .option('--dashboard-key <file>', "the dashboard's TLS private key (PEM)")
    .action(async (opts: { config: string; dashboard?: string; dashboardCert?: string; dashboardKey?: string }) => {
      const config = parseCoordinatorConfig(readYamlFile(opts.config), opts.config);
      // The dashboard reads the run store and follows the coordinator's events; it holds no state of its own.
      const feed = opts.dashboard ? new LiveFeed() : null;
      const dashboard = feed
        ? await openDashboard(opts.dashboard!, config.database, { cert: opts.dashboardCert, key: opts.dashboardKey }, { runName: config.runName, live: feed }, (f) => feed.onChange(f))
        : null;
      const abort = new AbortController();
      process.once('SIGINT', () => abort.abort());
      process.once('SIGTERM', () => abort.abort());
      try {
        const result = await runCoordinator(config, { signal: abort.signal, ...(feed ? { onEvent: feed.sink } : {}) });
        if (result.status === 'failed') throw new PrivmedError(`run '${result.runName}' failed: ${result.message}`);
        process.stderr.write(`privmed coordinator: run '${result.runName}' ${result.status}: ${result.message}\n`);
      } finally {
        if (dashboard) process.stderr.write(`privmed dashboard: stopped with the coordinator; for the finished run: privmed dashboard --db ${config.database}\n`);
        await dashboard?.close();
      }
    });
}
