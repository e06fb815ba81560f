/**
 * A CSV listing `path,label` (optional header; paths relative to the CSV's
 * folder). Labels are class names, or integers 0..k-1; `classes` fixes the
 * names and their order. Rows with a missing file or an unknown label are
 * skipped and listed, so that one bad row does not stop a run.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { FileFormatError } from '../../common/errors.js';
import { FileImageDataset, type FileDatasetOptions, type FileEntry, type SkippedFile } from './file-dataset.js';

/** RFC 4180 fields: commas inside double quotes, "" for a quote. */
export function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  out.push(cur.trim());
  return out;
}

export async function openCsvDataset(csvPath: string, opts: FileDatasetOptions & { classes?: string[] }): Promise<FileImageDataset> {
  let text: string;
  try {
    text = await readFile(csvPath, 'utf8');
  } catch (err) {
    throw new FileFormatError(csvPath, `cannot read file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const rows = text.split(/\r?\n/).map((l, i) => ({ line: i + 1, cells: parseCsvLine(l) })).filter((r) => r.cells.some((c) => c !== ''));
  if (rows.length && /^(path|file|filename|image)$/i.test(rows[0]!.cells[0]!)) rows.shift();
  if (rows.length === 0) throw new FileFormatError(csvPath, 'no rows (expected path,label)');
  const skipped: SkippedFile[] = [];
  const base = dirname(csvPath);
  const raw: { path: string; label: string; line: number }[] = [];
  for (const r of rows) {
    if (r.cells.length < 2 || r.cells[0] === '' || r.cells[1] === '') {
      skipped.push({ file: `${csvPath}:${r.line}`, reason: 'row needs path,label' });
      continue;
    }
    const path = isAbsolute(r.cells[0]!) ? r.cells[0]! : resolve(base, r.cells[0]!);
    if (!existsSync(path)) {
      skipped.push({ file: path, reason: `listed at ${csvPath}:${r.line} but missing` });
      continue;
    }
    raw.push({ path, label: r.cells[1]!, line: r.line });
  }
  let classes = opts.classes;
  if (!classes) {
    const labels = [...new Set(raw.map((r) => r.label))];
    const ints = labels.every((l) => /^\d+$/.test(l));
    classes = ints ? Array.from({ length: Math.max(-1, ...labels.map(Number)) + 1 }, (_, i) => String(i)) : labels.sort();
  }
  const index = new Map(classes.map((c, i) => [c, i]));
  const entries: FileEntry[] = [];
  for (const r of raw) {
    const label = index.get(r.label);
    if (label === undefined) skipped.push({ file: r.path, reason: `${csvPath}:${r.line}: unknown label '${r.label}' (classes: ${classes.join(', ')})` });
    else entries.push({ path: r.path, label });
  }
  return new FileImageDataset(entries, classes, opts, skipped);
}
