/** Human-readable lines for an inspection report (the CLI's default output). */
import { relative } from 'node:path';
import type { FileInspection } from './inspect-file.js';
import type { InspectReport } from './inspect-path.js';

export function describeFile(f: FileInspection, root?: string): string[] {
  const name = root && root !== f.path ? relative(root, f.path) : f.path;
  if (!f.ok) return [`${name}  FAILED: ${f.error?.startsWith(f.path) ? f.error.slice(f.path.length + 2) : f.error}`];
  const parts: string[] = [name];
  if (f.skipped) parts.push(`skipped: ${f.skipped}`);
  else if (f.format === 'dicom') {
    parts.push('DICOM', f.modality ?? '(no modality)', `${f.rows}x${f.cols}${(f.frames ?? 1) > 1 ? `x${f.frames} frames` : ''}`);
    parts.push(`${f.bitsStored}/${f.bitsAllocated} bits`, f.photometric ?? '', `${f.transferSyntax?.name} (${f.transferSyntax?.uid})`);
  } else if (f.format === 'nifti') {
    parts.push(`NIfTI-${f.niftiVersion}`, f.dims!.join('x'), f.datatype ?? '');
  } else {
    parts.push(f.format.toUpperCase(), `${f.rows}x${f.cols}`, `${f.channels} channel(s)`, `${f.bitsStored} bits`);
  }
  return [parts.filter((p) => p !== '').join('  '), ...f.warnings.map((w) => `  warning: ${w}`)];
}

export function formatReport(r: InspectReport): string[] {
  const lines = r.files.flatMap((f) => describeFile(f, r.root));
  const s = r.summary;
  lines.push('');
  lines.push(`${s.files} file(s): ${s.images} readable image(s), ${s.failed} failed, ${s.skipped} skipped`);
  if (s.identifying) lines.push(`${s.identifying} DICOM file(s) contain patient-identifying attributes: run 'privmed data deid' before training`);
  if (s.burnedIn) lines.push(`${s.burnedIn} DICOM file(s) have BurnedInAnnotation YES`);
  if (r.classes) lines.push(`classes (subfolders): ${r.classes.map((c) => `${c.name} (${c.count})`).join(', ')}`);
  return lines;
}
