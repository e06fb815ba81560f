/**
 * The "class subfolders" layout: root/<class>/**\/<file>. Classes are the
 * subfolder names, sorted; the label is the index. Hidden entries, DICOMDIR
 * files and names that cannot be images are skipped and listed.
 */
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { FileFormatError, PrivmedError } from '../../common/errors.js';
import { looksLikeImageName } from './detect-format.js';
import { FileImageDataset, type FileDatasetOptions, type FileEntry, type SkippedFile } from './file-dataset.js';

async function listFiles(dir: string, skipped: SkippedFile[], root: string): Promise<string[]> {
  const out: string[] = [];
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.name.startsWith('.')) continue;
    if (e.isDirectory()) out.push(...(await listFiles(p, skipped, root)));
    else if (e.name.toUpperCase().startsWith('DICOMDIR')) skipped.push({ file: p, reason: 'DICOMDIR (a media directory, not an image)' });
    else if (!looksLikeImageName(e.name)) skipped.push({ file: p, reason: `not an image file name (${relative(root, p)})` });
    else out.push(p);
  }
  return out;
}

export async function openImageFolder(root: string, opts: FileDatasetOptions): Promise<FileImageDataset> {
  let top;
  try {
    top = (await readdir(root, { withFileTypes: true })).filter((e) => e.isDirectory() && !e.name.startsWith('.'));
  } catch (err) {
    throw new FileFormatError(root, `cannot list folder: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const classes = top.map((e) => e.name).sort();
  if (classes.length === 0) throw new PrivmedError(`${root}: no class subfolders`, { hint: 'expected root/<class>/<image files>, or give a CSV of path,label' });
  const skipped: SkippedFile[] = [];
  const entries: FileEntry[] = [];
  for (let label = 0; label < classes.length; label++) {
    for (const path of await listFiles(join(root, classes[label]!), skipped, root)) entries.push({ path, label });
  }
  return new FileImageDataset(entries, classes, opts, skipped);
}
