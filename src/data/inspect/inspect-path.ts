/**
 * Inspects a file or a folder (recursively). For a folder with
 * subfolders, the subfolders are reported as classes of an image-folder
 * dataset with their readable-image counts.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { FileFormatError } from '../../common/errors.js';
import { inspectFile, type FileInspection } from './inspect-file.js';

export interface InspectReport {
  root: string;
  files: FileInspection[];
  /** Subfolders of root as classes, with their counts of readable images. */
  classes?: { name: string; count: number }[];
  summary: { files: number; images: number; failed: number; skipped: number; identifying: number; burnedIn: number };
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

export interface InspectOptions {
  strict?: boolean;
  onFile?: (f: FileInspection) => void;
  /** After each file: how many of how many are done (for a progress line on large folders). */
  onProgress?: (done: number, total: number) => void;
}

export async function inspectPath(path: string, opts: InspectOptions = {}): Promise<InspectReport> {
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch (err) {
    throw new FileFormatError(path, `cannot open: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const paths = isDir ? await walk(path) : [path];
  const files: FileInspection[] = [];
  for (const p of paths) {
    const f = await inspectFile(p, opts);
    files.push(f);
    opts.onFile?.(f);
    opts.onProgress?.(files.length, paths.length);
  }
  const report: InspectReport = {
    root: path,
    files,
    summary: {
      files: files.length,
      images: files.filter((f) => f.ok && !f.skipped).length,
      failed: files.filter((f) => !f.ok).length,
      skipped: files.filter((f) => f.ok && f.skipped).length,
      identifying: files.filter((f) => (f.privacy?.identifying.length ?? 0) > 0).length,
      burnedIn: files.filter((f) => f.privacy?.burnedInAnnotation === 'YES').length,
    },
  };
  if (isDir) {
    const subdirs = (await readdir(path, { withFileTypes: true })).filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort();
    if (subdirs.length > 0) {
      report.classes = subdirs.map((name) => ({
        name,
        count: files.filter((f) => f.ok && !f.skipped && relative(path, f.path).split(sep)[0] === name).length,
      }));
    }
  }
  return report;
}
