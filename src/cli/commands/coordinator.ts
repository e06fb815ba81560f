import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { PrivmedError } from '../../common/errors.js';
import { readYamlFile } from '../../common/config-file.js';
import { parseCoordinatorConfig } from '../../federation/coordinator/config.js';
import type { CoordinatorEvent } from '../../federation/coordinator/events.js';
import { runCoordinator, type CoordinatorOptions } from '../../federation/coordinator/run-coordinator.js';
import { LiveFeed } from '../../dashboard/live-feed.js';
import { eventLine } from '../../simulation/event-lines.js';
import { liveFederationFor } from '../live/live-federation.js';
import { openDashboard } from './dashboard.js';
import { coordinatorInitialWeights } from './coordinator-model.js';

export function registerCoordinatorCommand(program: Command): void {
  program
    .command('coordinator')
    .description('run the federation coordinator (model owner): drives rounds, aggregates, keeps the run in SQLite')
    .requiredOption('--config <file>', 'coordinator configuration (YAML, see docs/federation.md)')
    .option('--events', 'print events as JSON lines on stdout (for privmed simulate\'s live view)', false)
    .option('--dashboard <[host:]port>', 'serve the live read-only web dashboard (loopback unless told otherwise; see docs/dashboard.md)')
    .option('--dashboard-cert <file>', "the dashboard's TLS certificate (PEM): needed to bind anything but loopback")
    .option('--dashboard-key <file>', "the dashboard's TLS private key (PEM)")
    .action(async (opts: { config: string; events: boolean; dashboard?: string; dashboardCert?: string; dashboardKey?: string }) => {
      const config = parseCoordinatorConfig(readYamlFile(opts.config), opts.config);
      // The dashboard reads the run store and follows the coordinator's events; it holds no state of its own.
      const feed = opts.dashboard ? new LiveFeed() : null;
      const dashboard = feed
        ? await openDashboard(opts.dashboard!, config.database, { cert: opts.dashboardCert, key: opts.dashboardKey }, { runName: config.runName, live: feed }, (f) => feed.onChange(f))
        : null;
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
      const sinks: ((e: CoordinatorEvent) => void)[] = [];
      if (feed) sinks.push(feed.sink);
      if (opts.events) sinks.push((e) => void process.stdout.write(eventLine(e) + '\n'));
      const options: CoordinatorOptions = { signal: abort.signal };
      // Made here, before any node joins: no node's INIT answer decides the federation's model.
      const initial = await coordinatorInitialWeights(config, opts.config);
      if (initial) options.initialWeights = initial;
      if (live) {
        sinks.push((e) => live.coordinatorEvent(e));
        options.log = (line) => live.log(`privmed coordinator: ${line}`);
        live.start();
      }
      if (sinks.length) options.onEvent = (e) => sinks.forEach((sink) => sink(e));
      try {
        const result = await runCoordinator(config, options);
        if (result.status === 'failed') throw new PrivmedError(`run '${result.runName}' failed: ${result.message}`);
        process.stderr.write(`privmed coordinator: run '${result.runName}' ${result.status}: ${result.message}\n`);
      } finally {
        live?.close();
        if (dashboard) process.stderr.write(`privmed dashboard: stopped with the coordinator; for the finished run: privmed dashboard --db ${config.database}\n`);
        await dashboard?.close();
      }
    });
}
