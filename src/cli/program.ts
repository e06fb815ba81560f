/**
 * The privmed command line: a thin layer over the library. Errors meant for
 * the user print as one line (plus a hint); a stack trace only with --verbose.
 */
import { Command, CommanderError } from 'commander';
import { PrivmedError } from '../common/errors.js';
import { PRIVMED_VERSION } from '../version.js';
import { registerAttackCommand } from './commands/attack.js';
import { registerCertsCommand } from './commands/certs.js';
import { registerCoordinatorCommand } from './commands/coordinator.js';
import { registerDashboardCommand } from './commands/dashboard.js';
import { registerDataDeidCommand } from './commands/data-deid.js';
import { registerDataFetchCommand } from './commands/data-fetch.js';
import { registerDataInspectCommand } from './commands/data-inspect.js';
import { registerDataTileCommand } from './commands/data-tile.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerEvaluateCommand } from './commands/evaluate.js';
import { registerNodeCommand } from './commands/node.js';
import { registerPredictCommand } from './commands/predict.js';
import { registerPrivacyCommands } from './commands/privacy.js';
import { registerReportCommand } from './commands/report.js';
import { registerSimulateCommand } from './commands/simulate.js';
import { registerSmpcCommand } from './commands/smpc.js';
import { registerStatusCommand } from './commands/status.js';
import { registerTuneCommand } from './commands/tune.js';
import { registerTrainCommand } from './commands/train.js';

export function buildProgram(): Command {
  const program = new Command('privmed')
    .description('privacy-preserving deep learning on medical images')
    .version(PRIVMED_VERSION)
    .option('--verbose', 'print stack traces of errors', false)
    .showSuggestionAfterError()
    .exitOverride();
  registerDemoCommand(program);
  registerTrainCommand(program);
  registerEvaluateCommand(program);
  registerPredictCommand(program);
  registerPrivacyCommands(program);
  registerSimulateCommand(program);
  registerCoordinatorCommand(program);
  registerTuneCommand(program);
  registerNodeCommand(program);
  registerCertsCommand(program);
  registerStatusCommand(program);
  registerDashboardCommand(program);
  registerAttackCommand(program);
  registerReportCommand(program);
  registerSmpcCommand(program);
  const data = program.command('data').description('datasets: fetch, inspect, de-identify, tile slides');
  registerDataFetchCommand(data);
  registerDataInspectCommand(data);
  registerDataDeidCommand(data);
  registerDataTileCommand(data);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed its message (usage errors, --help, --version)
      return err.exitCode;
    }
    const verbose = argv.includes('--verbose');
    if (err instanceof PrivmedError) {
      process.stderr.write(`privmed: error: ${err.message}\n`);
      if (err.hint) process.stderr.write(`  hint: ${err.hint}\n`);
    } else if (fileSystemError(err)) {
      process.stderr.write(`privmed: error: ${fileSystemError(err)}\n`);
    } else {
      const msg = err instanceof Error ? err.message : String(err);
      process.stderr.write(`privmed: internal error: ${msg.split('\n')[0]}${verbose ? '' : ' (run with --verbose for details)'}\n`);
    }
    if (verbose && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
    return 1;
  }
}


const FS_ERRORS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'is a folder, not a file',
};

/** A file-system error that escaped a command, said as a person would read it (the path and what went wrong). */
function fileSystemError(err: unknown): string | null {
  const e = err as NodeJS.ErrnoException;
  if (!(err instanceof Error) || typeof e.code !== 'string' || !(e.code in FS_ERRORS) || typeof e.path !== 'string') return null;
  return `${e.path}: ${FS_ERRORS[e.code]} (${e.syscall ?? 'file access'}, ${e.code})`;
}
