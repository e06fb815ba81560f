/**
 * The pre-training privacy check: reads the headers of the DICOM files among
 * a dataset's paths (pixel data is not decoded) and summarises which still
 * carry patient-identifying attributes or burned-in annotations, as warnings
 * the trainer prints before DICOM enters training.
 */
import { open, readFile } from 'node:fs/promises';
import { FileFormatError } from '../../common/errors.js';
import { parseDicom } from '../dicom/parse.js';
import { detectFormat } from '../images/detect-format.js';
import { privacyReport } from './privacy-report.js';

export interface PrivacyAudit {
  dicomFiles: number;
  /** Files with identifying attribute values. */
  identifying: string[];
  burnedIn: string[];
  /** Union of the identifying attribute keywords found. */
  attributes: string[];
  warnings: string[];
}

async function head(path: string, n: number): Promise<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    const buf = new Uint8Array(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

export async function auditDicomPrivacy(paths: string[]): Promise<PrivacyAudit> {
  const audit: PrivacyAudit = { dicomFiles: 0, identifying: [], burnedIn: [], attributes: [], warnings: [] };
  const attrs = new Set<string>();
  for (const path of paths) {
    let isDicom = false;
    try {
      isDicom = detectFormat(await head(path, 352), path) === 'dicom';
    } catch {
      continue; // unreadable files are reported by the dataset itself
    }
    if (!isDicom) continue;
    try {
      const file = parseDicom(await readFile(path), path, { stopAtPixelData: true });
      audit.dicomFiles++;
      const r = privacyReport(file);
      if (r.identifying.length) {
        audit.identifying.push(path);
        r.identifying.forEach((a) => attrs.add(a));
      }
      if (r.burnedInAnnotation === 'YES') audit.burnedIn.push(path);
    } catch (err) {
      if (!(err instanceof FileFormatError)) throw err;
    }
  }
  audit.attributes = [...attrs].sort();
  if (audit.identifying.length) {
    audit.warnings.push(
      `${audit.identifying.length} of ${audit.dicomFiles} DICOM file(s) contain patient-identifying attributes (${audit.attributes.slice(0, 6).join(', ')}${audit.attributes.length > 6 ? ', ...' : ''}); de-identify them with 'privmed data deid' first (e.g. ${audit.identifying[0]})`,
    );
  }
  if (audit.burnedIn.length) audit.warnings.push(`${audit.burnedIn.length} DICOM file(s) have BurnedInAnnotation YES: identifying text may be in the pixels (e.g. ${audit.burnedIn[0]})`);
  return audit;
}
