/**
 * A folder of single-frame DICOM slices as one volume: grouped by
 * SeriesInstanceUID, ordered by position along the slice normal
 * (ImagePositionPatient . (row x column direction)), or by InstanceNumber when
 * positions are missing, then decoded and stacked as frames.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FileFormatError, PrivmedError } from '../../common/errors.js';
import type { MedicalImage } from '../images/medical-image.js';
import { parseDicom, type DicomFile } from './parse.js';
import { decodeParsedDicom, type DicomReadOptions } from './read-dicom.js';
import { isMediaDirectory } from './pixel-module.js';
import { Tags } from './tags.js';

export interface DicomSeriesVolume {
  /** Slices as frames, in the sorted order. */
  image: MedicalImage;
  seriesInstanceUid: string;
  files: string[];
  /** SOP Instance UID of each slice, in volume order ('' where a file has none): what SEG frames name. */
  sopInstanceUids: string[];
  /** ImageOrientationPatient shared by the slices, when every slice has one. */
  orientation?: number[];
  sortedBy: 'position' | 'instance-number';
  /** Position of each slice along the normal (mm), when sorted by position. */
  slicePositions?: number[];
  /** Median distance between neighbouring slices (mm). */
  sliceSpacing?: number;
  warnings: string[];
  /** Files in the folder that were not used, with the reason. */
  skipped: { file: string; reason: string }[];
}

export interface SeriesOptions {
  /** Which series to load when the folder holds several. */
  seriesInstanceUid?: string;
  read?: Omit<DicomReadOptions, 'frames'>;
}

function cross(a: number[], b: number[]): number[] {
  return [a[1]! * b[2]! - a[2]! * b[1]!, a[2]! * b[0]! - a[0]! * b[2]!, a[0]! * b[1]! - a[1]! * b[0]!];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export async function readDicomSeries(folder: string, opts: SeriesOptions = {}): Promise<DicomSeriesVolume> {
  let names: string[];
  try {
    names = (await readdir(folder, { withFileTypes: true })).filter((d) => d.isFile()).map((d) => d.name).sort();
  } catch (err) {
    throw new FileFormatError(folder, `cannot list folder: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const skipped: DicomSeriesVolume['skipped'] = [];
  const bySeries = new Map<string, DicomFile[]>();
  for (const name of names) {
    const path = join(folder, name);
    try {
      const f = parseDicom(await readFile(path), path);
      if (isMediaDirectory(f)) {
        skipped.push({ file: path, reason: 'DICOMDIR' });
        continue;
      }
      if (!f.dataset.has(Tags.PixelData)) {
        skipped.push({ file: path, reason: 'no Pixel Data' });
        continue;
      }
      const uid = f.dataset.string(Tags.SeriesInstanceUID) ?? '(no SeriesInstanceUID)';
      bySeries.set(uid, [...(bySeries.get(uid) ?? []), f]);
    } catch (err) {
      if (!(err instanceof FileFormatError)) throw err;
      skipped.push({ file: path, reason: err.message });
    }
  }
  if (bySeries.size === 0) throw new PrivmedError(`${folder}: no DICOM images found (${skipped.length} file(s) skipped)`);
  let uid = opts.seriesInstanceUid;
  if (uid === undefined) {
    if (bySeries.size > 1) {
      const list = [...bySeries].map(([u, fs]) => `${u} (${fs.length} files)`).join(', ');
      throw new PrivmedError(`${folder}: holds ${bySeries.size} series: ${list}`, { hint: 'choose one with seriesInstanceUid' });
    }
    uid = [...bySeries.keys()][0]!;
  }
  const files = bySeries.get(uid);
  if (!files) throw new PrivmedError(`${folder}: no series ${uid}`);
  const warnings: string[] = [];
  const order = sortSlices(folder, files, warnings);
  const images: MedicalImage[] = [];
  for (const f of order.files) images.push(await decodeParsedDicom(f, opts.read));
  const first = images[0]!;
  for (const img of images) {
    if (img.frames !== 1) throw new FileFormatError(img.meta.source, `has ${img.frames} frames; a series volume needs single-frame slices`);
    if (img.rows !== first.rows || img.cols !== first.cols || img.channels !== first.channels) {
      throw new FileFormatError(img.meta.source, `slice is ${img.rows}x${img.cols}x${img.channels}, the series' first slice is ${first.rows}x${first.cols}x${first.channels}`);
    }
  }
  const size = first.rows * first.cols * first.channels;
  const data = new Float32Array(images.length * size);
  images.forEach((img, i) => data.set(img.data, i * size));
  let sliceSpacing: number | undefined;
  if (order.positions && order.positions.length > 1) {
    const gaps = order.positions.slice(1).map((p, i) => p - order.positions![i]!);
    sliceSpacing = median(gaps);
    if (gaps.some((g) => Math.abs(g - sliceSpacing!) > 0.01 * Math.max(1, Math.abs(sliceSpacing!)))) warnings.push('slice spacing is not uniform (missing slices?)');
    if (gaps.some((g) => Math.abs(g) < 1e-6)) warnings.push('two slices share a position');
  }
  return {
    image: { ...first, data, frames: images.length, meta: { ...first.meta, source: folder } },
    seriesInstanceUid: uid,
    files: order.files.map((f) => f.name),
    sopInstanceUids: order.files.map((f) => f.dataset.string(Tags.SOPInstanceUID) ?? ''),
    ...(order.orientation ? { orientation: order.orientation } : {}),
    sortedBy: order.positions ? 'position' : 'instance-number',
    slicePositions: order.positions,
    sliceSpacing,
    warnings,
    skipped,
  };
}

function sortSlices(folder: string, files: DicomFile[], warnings: string[]): { files: DicomFile[]; positions?: number[]; orientation?: number[] } {
  const geometry = files.map((f) => ({ f, ipp: f.dataset.numbers(Tags.ImagePositionPatient), iop: f.dataset.numbers(Tags.ImageOrientationPatient) }));
  const complete = geometry.every((g) => g.ipp.length === 3 && g.iop.length === 6 && [...g.ipp, ...g.iop].every(Number.isFinite));
  if (complete) {
    const iop0 = geometry[0]!.iop;
    const sameOrientation = geometry.every((g) => g.iop.every((v, i) => Math.abs(v - iop0[i]!) < 1e-4));
    if (!sameOrientation) throw new PrivmedError(`${folder}: slices of the series have different orientations (a localizer or radial acquisition?); they do not form a volume`);
    const normal = cross(iop0.slice(0, 3), iop0.slice(3, 6));
    const keyed = geometry.map((g) => ({ f: g.f, d: g.ipp[0]! * normal[0]! + g.ipp[1]! * normal[1]! + g.ipp[2]! * normal[2]! }));
    keyed.sort((a, b) => a.d - b.d);
    return { files: keyed.map((k) => k.f), positions: keyed.map((k) => k.d), orientation: iop0 };
  }
  warnings.push('ImagePositionPatient/ImageOrientationPatient missing: slices ordered by InstanceNumber');
  const keyed = files.map((f) => ({ f, n: f.dataset.number(Tags.InstanceNumber) }));
  if (keyed.some((k) => k.n === undefined)) warnings.push('InstanceNumber missing on some slices: those keep file-name order');
  keyed.sort((a, b) => (a.n ?? Infinity) - (b.n ?? Infinity));
  return { files: keyed.map((k) => k.f) };
}
