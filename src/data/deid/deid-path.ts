/**
 * De-identifies a DICOM file or folder into an output folder, verifying
 * every written file by reading it back. Non-DICOM files and DICOMDIRs are
 * not copied (a DICOMDIR's byte offsets would not survive; rebuild it with
 * dcmmkdir). With `rename`, output paths are built from the new UIDs
 * (Study/Series/SOP Instance), because folder and file names often carry
 * patient IDs too.
 */
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { FileFormatError, PrivmedError } from '../../common/errors.js';
import { parseDicom } from '../dicom/parse.js';
import { isMediaDirectory } from '../dicom/pixel-module.js';
import { Tags } from '../dicom/tags.js';
import { detectFormat } from '../images/detect-format.js';
import { deidentify, verifyDeidentified } from './deidentify.js';
import { UidMap } from './uid-map.js';

export interface DeidPathOptions {
  /** Secret for UID mapping; the same salt gives the same new UIDs across runs (default: random per run). */
  salt?: string;
  acceptBurnedIn?: boolean;
  rename?: boolean;
  onFile?: (r: DeidFileResult) => void;
}

export interface DeidFileResult {
  input: string;
  output?: string;
  status: 'written' | 'failed' | 'skipped';
  reason?: string;
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

export async function deidentifyPath(input: string, outDir: string, opts: DeidPathOptions = {}): Promise<DeidFileResult[]> {
  let isDir: boolean;
  try {
    isDir = (await stat(input)).isDirectory();
  } catch (err) {
    throw new FileFormatError(input, `cannot open: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  refuseOverlap(input, outDir, isDir);
  const files = isDir ? await listFiles(input) : [input];
  const uids = new UidMap(opts.salt);
  const results: DeidFileResult[] = [];
  const written = new Set<string>();
  for (const path of files) {
    const r = await deidentifyOne(path, isDir ? relative(input, path) : path.split(/[\\/]/).pop()!, outDir, uids, opts, written);
    results.push(r);
    opts.onFile?.(r);
  }
  return results;
}

/**
 * The output must be a copy beside the originals: the same folder would
 * overwrite them, an output inside the input would be read back as input on
 * the next run, an input inside the output would be overwritten by its copy.
 */
function refuseOverlap(input: string, outDir: string, isDir: boolean): void {
  const real = (p: string): string => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p); // the output folder need not exist yet
    }
  };
  const from = real(isDir ? input : dirname(input));
  const to = real(outDir);
  const inside = (a: string, b: string): boolean => a === b || a.startsWith(b.endsWith(sep) ? b : b + sep);
  if (isDir ? inside(to, from) || inside(from, to) : to === from) {
    throw new PrivmedError(`data deid: the output folder ${outDir} ${from === to ? 'is' : 'overlaps'} the input ${input}; the originals would be overwritten or read again`, {
      hint: 'write the de-identified copies to a folder outside the input, e.g. a sibling folder',
    });
  }
}

async function deidentifyOne(path: string, rel: string, outDir: string, uids: UidMap, opts: DeidPathOptions, written: Set<string>): Promise<DeidFileResult> {
  try {
    const bytes = await readFile(path);
    if (detectFormat(bytes.subarray(0, 352), path) !== 'dicom' && !(bytes.length > 8 && (bytes[0] === 0x08 || bytes[0] === 0x02) && bytes[1] === 0)) {
      return { input: path, status: 'skipped', reason: 'not a DICOM file (not copied)' };
    }
    const file = parseDicom(bytes, path);
    if (isMediaDirectory(file)) return { input: path, status: 'skipped', reason: 'DICOMDIR (not copied: rebuild it from the de-identified files)' };
    const pixelData = file.dataset.get(Tags.PixelData);
    const result = deidentify(file, { uids, acceptBurnedIn: opts.acceptBurnedIn });
    const problems = verifyDeidentified(result.bytes, path, { pixelData, originalUids: result.originalUids });
    if (problems.length) return { input: path, status: 'failed', reason: `verification failed: ${problems.join('; ')}` };
    let outRel = rel;
    if (opts.rename) {
      const back = parseDicom(result.bytes, path, { stopAtPixelData: true }).dataset;
      const part = (t: number) => back.string(t) ?? 'unknown';
      outRel = join(part(Tags.StudyInstanceUID), part(Tags.SeriesInstanceUID), `${part(Tags.SOPInstanceUID)}.dcm`);
    }
    const out = join(outDir, outRel);
    if (written.has(out)) return { input: path, status: 'failed', reason: `output ${out} would overwrite another file of this run` };
    written.add(out);
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, result.bytes);
    return { input: path, output: out, status: 'written' };
  } catch (err) {
    if (err instanceof PrivmedError) return { input: path, status: 'failed', reason: err.message };
    if ((err as NodeJS.ErrnoException).code) return { input: path, status: 'failed', reason: `${path}: ${(err as Error).message}` };
    throw err;
  }
}
