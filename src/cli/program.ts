/**
 * The privmed command line: a thin layer over the library. Errors meant for
 * the user print as one line (plus a hint); a stack trace only with --verbose.
 */
import { Command, CommanderError } from 'commander';
import { PrivmedError } from '../common/errors.js';
import { PRIVMED_VERSION } from '../version.js';
import { registerCertsCommand } from './commands/certs.js';
import { registerCoordinatorCommand } from './commands/coordinator.js';
import { registerDashboardCommand } from './commands/dashboard.js';
import { registerDataDeidCommand } from './commands/data-deid.js';
import { registerDataFetchCommand } from './commands/data-fetch.js';
import { registerDataInspectCommand } from './commands/data-inspect.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerEvaluateCommand } from './commands/evaluate.js';
import { registerNodeCommand } from './commands/node.js';
import { registerPredictCommand } from './commands/predict.js';
import { registerPrivacyCommands } from './commands/privacy.js';
import { registerSimulateCommand } from './commands/simulate.js';
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
  const data = program.command('data').description('datasets: fetch, inspect, de-identify');
  registerDataFetchCommand(data);
  registerDataInspectCommand(data);
  registerDataDeidCommand(data);
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
    } else {
      const msg = err instanceof Error ? err.message : String(err);
      process.stderr.write(`privmed: internal error: ${msg.split('\n')[0]}${verbose ? '' : ' (run with --verbose for details)'}\n`);
    }
    if (verbose && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
    return 1;
  }
}

