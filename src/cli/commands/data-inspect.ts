/**
 * `privmed data inspect PATH [--strict] [--json]`: what a file or folder of
 * medical images holds, which files cannot be read and why, and whether DICOM
 * files still carry patient-identifying data. Exit code 1 if anything failed.
 */
import type { Command } from 'commander';
import { inspectPath } from '../../data/inspect/inspect-path.js';
import { formatReport } from '../../data/inspect/format-report.js';
import { bar, StatusArea, type StatusStream } from '../live/status-area.js';

/** Where CLI commands write: stdout/stderr by default, a capture in tests. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** Where a files-done progress line is drawn (a terminal); none when absent. */
  progress?: StatusStream;
}

export const stdio: CliIo = {
  out: (line) => void process.stdout.write(line + '\n'),
  err: (line) => void process.stderr.write(line + '\n'),
  progress: process.stderr,
};

export interface DataInspectOptions {
  strict?: boolean;
  json?: boolean;
}

/** Runs the inspection and prints it; returns the exit code (0: everything readable). */
export async function runDataInspect(path: string, opts: DataInspectOptions, io: CliIo = stdio): Promise<number> {
  const area = io.progress ? new StatusArea(io.progress, { json: opts.json }) : null;
  const onProgress = area?.live ? (done: number, total: number) => area.update([`inspecting ${bar(done, total)} ${done}/${total} files`], done === total) : undefined;
  let report;
  try {
    report = await inspectPath(path, { strict: opts.strict, onProgress });
  } finally {
    area?.finish();
  }
  if (opts.json) io.out(JSON.stringify(report, null, 2));
  else for (const line of formatReport(report)) io.out(line);
  return report.summary.failed > 0 ? 1 : 0;
}

export function registerDataInspectCommand(dataCmd: Command, io: CliIo = stdio): Command {
  return dataCmd
    .command('inspect')
    .description('show what image files hold (modality, size, bit depth, photometric, transfer syntax), list unreadable files with the reason, and warn about patient-identifying DICOM attributes')
    .argument('<path>', 'a file or a folder (searched recursively)')
    .option('--strict', 'decode every frame, and count unrecognised files and DICOM files that are not de-identified as failures')
    .option('--json', 'print the report as JSON')
    .action(async (path: string, opts: DataInspectOptions) => {
      const code = await runDataInspect(path, opts, io);
      if (code !== 0) process.exitCode = code;
    });
}
