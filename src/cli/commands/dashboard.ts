/**
 * `privmed dashboard --db FILE`: the dashboard of a run from a coordinator's
 * database (read-only; also while that coordinator runs). The coordinator's
 * live dashboard is `privmed coordinator --dashboard`; both start here.
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { PrivmedError } from '../../common/errors.js';
import { parseListen } from '../../dashboard/access.js';
import { startDashboard, type DashboardHandle, type DashboardOptions } from '../../dashboard/server.js';
import { RunSnapshots, type SnapshotOptions } from '../../dashboard/snapshot.js';

export interface DashboardFlags {
  cert?: string;
  key?: string;
}

export function tlsFiles(flags: DashboardFlags): DashboardOptions['tls'] {
  if (!flags.cert !== !flags.key) throw new PrivmedError('the dashboard needs both a certificate and a key for TLS, or neither');
  return flags.cert && flags.key ? { cert: flags.cert, key: flags.key } : undefined;
}

/** Starts a dashboard and prints where it is and its token (stderr: stdout stays for results). */
export async function openDashboard(listen: string, database: string, flags: DashboardFlags, snapshot: SnapshotOptions = {}, subscribe?: DashboardOptions['subscribe']): Promise<DashboardHandle> {
  const { host, port } = parseListen(listen);
  const handle = await startDashboard({ host, port, tls: tlsFiles(flags), snapshots: new RunSnapshots(database, snapshot), subscribe });
  process.stderr.write(`privmed dashboard: ${handle.url}\nprivmed dashboard: access token ${handle.token} (Authorization: Bearer TOKEN, or ?token=TOKEN)\n`);
  return handle;
}

export function registerDashboardCommand(program: Command): void {
  program
    .command('dashboard')
    .description("serve the read-only web dashboard of a federated run from the coordinator's SQLite file")
    .requiredOption('--db <file>', "the coordinator's SQLite file")
    .option('--run <name>', 'the run to show (default: the newest)')
    .option('--port <n>', 'port (0: any free port)', '8080')
    .option('--host <host>', 'address to bind; anything but loopback needs --cert and --key', '127.0.0.1')
    .option('--cert <file>', 'TLS certificate (PEM)')
    .option('--key <file>', 'TLS private key (PEM)')
    .action(async (opts: { db: string; run?: string; port: string; host: string; cert?: string; key?: string }) => {
      if (!existsSync(opts.db)) throw new PrivmedError(`${opts.db}: no such database`);
      if (!/^\d{1,5}$/.test(opts.port)) throw new PrivmedError(`--port: expected a port number, got '${opts.port}'`);
      const handle = await openDashboard(`${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${opts.port}`, opts.db, opts, { runName: opts.run });
      // Serves until interrupted.
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await handle.close();
    });
}
