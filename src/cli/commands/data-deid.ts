/**
 * `privmed data deid IN OUT`: writes de-identified copies of DICOM files
 * (PS3.15 Basic Profile, new UIDs consistently mapped, PatientIdentityRemoved
 * YES), each verified by reading it back. Exit code 1 if any file failed.
 */
import type { Command } from 'commander';
import { deidentifyPath, type DeidFileResult } from '../../data/deid/deid-path.js';
import { stdio, type CliIo } from './data-inspect.js';

export interface DataDeidOptions {
  salt?: string;
  acceptBurnedIn?: boolean;
  rename?: boolean;
  json?: boolean;
}

export async function runDataDeid(input: string, output: string, opts: DataDeidOptions, io: CliIo = stdio): Promise<number> {
  const salt = opts.salt ?? process.env.PRIVMED_DEID_SALT;
  const results = await deidentifyPath(input, output, {
    salt,
    acceptBurnedIn: opts.acceptBurnedIn,
    rename: opts.rename,
    onFile: opts.json ? undefined : (r) => io.out(line(r)),
  });
  const count = (s: DeidFileResult['status']) => results.filter((r) => r.status === s).length;
  if (opts.json) io.out(JSON.stringify({ input, output, files: results, written: count('written'), failed: count('failed'), skipped: count('skipped') }, null, 2));
  else {
    io.out('');
    io.out(`${count('written')} written, ${count('failed')} failed, ${count('skipped')} skipped${salt ? '' : ' (new UIDs are random for this run: pass --salt to map them the same way in later runs)'}`);
  }
  return count('failed') > 0 ? 1 : 0;
}

function line(r: DeidFileResult): string {
  if (r.status === 'written') return `${r.input} -> ${r.output}`;
  return `${r.input}  ${r.status.toUpperCase()}: ${r.reason}`;
}

export function registerDataDeidCommand(dataCmd: Command, io: CliIo = stdio): Command {
  return dataCmd
    .command('deid')
    .description('write de-identified copies of DICOM files (PS3.15 basic profile), verified by re-reading')
    .argument('<in>', 'a DICOM file or a folder (searched recursively)')
    .argument('<out>', 'output folder (relative paths are kept unless --rename)')
    .option('--salt <secret>', 'secret for UID mapping, so that later runs map the same UIDs the same way (or PRIVMED_DEID_SALT)')
    .option('--accept-burned-in', 'also write files whose BurnedInAnnotation is YES (after you have masked the pixels)')
    .option('--rename', 'name outputs <StudyUID>/<SeriesUID>/<SOPInstanceUID>.dcm from the new UIDs (paths often contain patient IDs)')
    .option('--json', 'print the result as JSON')
    .action(async (input: string, output: string, opts: DataDeidOptions) => {
      const code = await runDataDeid(input, output, opts, io);
      if (code !== 0) process.exitCode = code;
    });
}
