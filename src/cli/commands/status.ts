/** `privmed status --db FILE`: what a coordinator's runs have done so far (safe while it runs). */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { PrivmedError } from '../../common/errors.js';
import { openDatabase } from '../../federation/store/sqlite.js';
import { formatRunSummary, summariseRuns } from '../../federation/store/run-summary.js';

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description('summarise the federated runs in a coordinator database')
    .requiredOption('--db <file>', "the coordinator's SQLite file")
    .option('--run <name>', 'only this run')
    .option('--json', 'print JSON instead of a table')
    .action((options: { db: string; run?: string; json?: boolean }) => {
      if (!existsSync(options.db)) throw new PrivmedError(`${options.db}: no such database`);
      const db = openDatabase(options.db, { readonly: true });
      try {
        const runs = summariseRuns(db).filter((r) => options.run === undefined || r.name === options.run);
        if (runs.length === 0) {
          throw new PrivmedError(options.run ? `${options.db} has no run named '${options.run}'` : `${options.db} holds no federated runs`);
        }
        process.stdout.write(options.json ? `${JSON.stringify(runs, null, 2)}\n` : `${runs.map(formatRunSummary).join('\n\n')}\n`);
      } finally {
        db.close();
      }
    });
}
