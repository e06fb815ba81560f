/**
 * What one file holds and whether it can be read: format, size, bit depth,
 * photometric interpretation, transfer syntax, NIfTI geometry, and privacy
 * findings for DICOM. Reading is verified by decoding (the first frame, or
 * every frame when strict).
 */
import { readFile } from 'node:fs/promises';
import { FileFormatError } from '../../common/errors.js';
import { parseDicom } from '../dicom/parse.js';
import { isMediaDirectory, readPixelModule } from '../dicom/pixel-module.js';
import { decodeStoredFrames } from '../dicom/read-dicom.js';
import { tag, Tags } from '../dicom/tags.js';
import { transferSyntaxName } from '../dicom/transfer-syntax.js';
import { privacyReport, privacyWarnings, type PrivacyReport } from '../deid/privacy-report.js';
import { detectFormat } from '../images/detect-format.js';
import { decodeRaster } from '../images/read-raster.js';
import { decodeNifti } from '../nifti/read-nifti.js';

export interface FileInspection {
  path: string;
  format: 'dicom' | 'dicomdir' | 'nifti' | 'png' | 'jpeg' | 'tiff' | 'unknown';
  /** Readable as an image (or a recognised non-image that is fine to ignore). */
  ok: boolean;
  /** Why it failed. */
  error?: string;
  /** Why it is not an image (DICOMDIR, unrecognised file). */
  skipped?: string;
  modality?: string;
  /** DICOM Body Part Examined. */
  bodyPart?: string;
  rows?: number;
  cols?: number;
  frames?: number;
  channels?: number;
  /** NIfTI dimensions (i, j, k, t...). */
  dims?: number[];
  bitsAllocated?: number;
  bitsStored?: number;
  photometric?: string;
  transferSyntax?: { uid: string; name: string };
  datatype?: string;
  niftiVersion?: number;
  privacy?: PrivacyReport;
  warnings: string[];
}

export async function inspectFile(path: string, opts: { strict?: boolean } = {}): Promise<FileInspection> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    return { path, format: 'unknown', ok: false, error: `${path}: cannot read file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, warnings: [] };
  }
  const format = detectFormat(bytes.subarray(0, 352), path);
  const out: FileInspection = { path, format, ok: true, warnings: [] };
  try {
    if (format === 'dicom') await inspectDicom(bytes, out, opts.strict ?? false);
    else if (format === 'nifti') {
      const vol = decodeNifti(bytes, path);
      Object.assign(out, { dims: vol.dims, datatype: vol.datatype, niftiVersion: vol.version, rows: vol.dims[1], cols: vol.dims[0], frames: vol.dims[2] });
      if (vol.scaling) out.warnings.push(`values scaled by scl_slope ${vol.scaling.slope}, scl_inter ${vol.scaling.intercept}`);
    } else if (format === 'png' || format === 'jpeg' || format === 'tiff') {
      const img = await decodeRaster(bytes, path, format);
      Object.assign(out, { rows: img.rows, cols: img.cols, frames: 1, channels: img.channels, bitsStored: img.meta.bitsStored, photometric: img.meta.photometric });
    } else {
      out.skipped = 'not a recognised image format (PNG, JPEG, TIFF, DICOM, NIfTI)';
      if (opts.strict) {
        out.ok = false;
        out.error = `${path}: ${out.skipped}`;
      }
    }
  } catch (err) {
    if (!(err instanceof FileFormatError)) throw err;
    out.ok = false;
    out.error = err.message;
  }
  if (opts.strict && out.ok && out.privacy && privacyWarnings(out.privacy).length) {
    out.ok = false;
    out.error = `${path}: not de-identified (strict)`;
  }
  return out;
}

async function inspectDicom(bytes: Uint8Array, out: FileInspection, strict: boolean): Promise<void> {
  const file = parseDicom(bytes, out.path);
  out.transferSyntax = { uid: file.transferSyntaxUid, name: transferSyntaxName(file.transferSyntaxUid) };
  out.privacy = privacyReport(file);
  out.warnings.push(...file.warnings, ...privacyWarnings(out.privacy));
  if (isMediaDirectory(file)) {
    out.format = 'dicomdir';
    out.skipped = 'DICOMDIR (a media directory, not an image)';
    return;
  }
  out.modality = file.dataset.string(Tags.Modality);
  out.bodyPart = file.dataset.string(tag(0x0018, 0x0015));
  const pm = readPixelModule(file);
  Object.assign(out, { rows: pm.rows, cols: pm.cols, frames: pm.frames, channels: pm.samplesPerPixel, bitsAllocated: pm.bitsAllocated, bitsStored: pm.bitsStored, photometric: pm.photometric });
  await decodeStoredFrames(file, strict ? undefined : [0]);
}
