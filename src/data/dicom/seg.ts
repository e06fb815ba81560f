/**
 * DICOM Segmentation objects (modality SEG, PS3.3 C.8.20): one segment per
 * frame, BINARY (1-bit) or FRACTIONAL (8-bit, thresholded at half the
 * maximum), laid onto the slices of the image series they were drawn on.
 * A frame finds its slice by the source image it names (Derivation Image >
 * Source Image > Referenced SOP Instance UID), else by its position along
 * the series' slice normal (Plane Position > ImagePositionPatient).
 */
import { FileFormatError } from '../../common/errors.js';
import type { DicomDataSet } from './data-set.js';
import type { DicomFile } from './parse.js';
import { decodeStoredFrames } from './read-dicom.js';
import { tag, Tags } from './tags.js';

const T = {
  SegmentationType: tag(0x0062, 0x0001),
  SegmentSequence: tag(0x0062, 0x0002),
  SegmentNumber: tag(0x0062, 0x0004),
  SegmentLabel: tag(0x0062, 0x0005),
  SegmentIdentificationSequence: tag(0x0062, 0x000a),
  ReferencedSegmentNumber: tag(0x0062, 0x000b),
  MaximumFractionalValue: tag(0x0062, 0x000e),
  SharedFunctionalGroupsSequence: tag(0x5200, 0x9229),
  PerFrameFunctionalGroupsSequence: tag(0x5200, 0x9230),
  DerivationImageSequence: tag(0x0008, 0x9124),
  SourceImageSequence: tag(0x0008, 0x2112),
  ReferencedSOPInstanceUID: tag(0x0008, 0x1155),
  PlanePositionSequence: tag(0x0020, 0x9113),
  PlaneOrientationSequence: tag(0x0020, 0x9116),
};

export interface SegFrame {
  segment: number;
  /** SOP Instance UID of the image slice the frame was drawn on, when the SEG names one. */
  sourceSop?: string;
  /** ImagePositionPatient of the frame's first pixel (mm), when given. */
  position?: number[];
  /** 1 inside the segment, 0 outside; rows x cols. */
  pixels: Uint8Array;
}

export interface DicomSeg {
  name: string;
  rows: number;
  cols: number;
  type: 'BINARY' | 'FRACTIONAL';
  segments: { number: number; label: string }[];
  /** ImageOrientationPatient shared by the frames, when given. */
  orientation?: number[];
  frames: SegFrame[];
  warnings: string[];
}

/** The first item of a functional group of frame item `own`, falling back to the shared groups. */
function group(own: DicomDataSet | undefined, shared: DicomDataSet | undefined, seq: number): DicomDataSet | undefined {
  return own?.items(seq)[0] ?? shared?.items(seq)[0];
}

export async function readDicomSeg(file: DicomFile): Promise<DicomSeg> {
  const ds = file.dataset;
  const fail = (reason: string): never => {
    throw new FileFormatError(file.name, reason);
  };
  if (ds.string(Tags.Modality) !== 'SEG') fail(`Modality is ${ds.string(Tags.Modality) ?? 'missing'}, expected SEG (a DICOM Segmentation)`);
  const type = ds.string(T.SegmentationType);
  if (type !== 'BINARY' && type !== 'FRACTIONAL') fail(`SegmentationType (0062,0001) is ${type ?? 'missing'}, expected BINARY or FRACTIONAL`);
  const segments = ds.items(T.SegmentSequence).map((it, i) => {
    const n = it.number(T.SegmentNumber);
    if (n === undefined || !Number.isInteger(n) || n < 1) return fail(`SegmentSequence item ${i + 1}: SegmentNumber (0062,0004) is ${n ?? 'missing'}, expected an integer >= 1`);
    return { number: n, label: it.string(T.SegmentLabel) ?? `segment ${n}` };
  });
  if (segments.length === 0) fail('SegmentSequence (0062,0002) is missing or empty');
  const known = new Set(segments.map((s) => s.number));
  const { pm, frames } = await decodeStoredFrames(file);
  const perFrame = ds.items(T.PerFrameFunctionalGroupsSequence);
  const shared = ds.items(T.SharedFunctionalGroupsSequence)[0];
  const warnings: string[] = [];
  if (perFrame.length < pm.frames) fail(`PerFrameFunctionalGroupsSequence (5200,9230) has ${perFrame.length} item(s) for ${pm.frames} frame(s)`);
  // The standard wants one item per frame; more items than frames are ignored (truncated files exist).
  if (perFrame.length > pm.frames) warnings.push(`${perFrame.length} per-frame items for ${pm.frames} frame(s): the first ${pm.frames} are used`);
  const threshold = type === 'BINARY' ? 1 : (ds.number(T.MaximumFractionalValue) ?? 255) / 2;
  const orientation = group(undefined, shared, T.PlaneOrientationSequence)?.numbers(Tags.ImageOrientationPatient);
  const out: SegFrame[] = frames.map((values, f) => {
    const item = perFrame[f]!;
    const segment = group(item, shared, T.SegmentIdentificationSequence)?.number(T.ReferencedSegmentNumber);
    if (segment === undefined || !known.has(segment)) fail(`frame ${f + 1}: ReferencedSegmentNumber (0062,000B) is ${segment ?? 'missing'}, the SegmentSequence has ${[...known].join(', ')}`);
    const pixels = new Uint8Array(values.length);
    for (let i = 0; i < values.length; i++) pixels[i] = values[i]! >= threshold ? 1 : 0;
    const source = item.items(T.DerivationImageSequence)[0]?.items(T.SourceImageSequence)[0]?.string(T.ReferencedSOPInstanceUID);
    const position = group(item, shared, T.PlanePositionSequence)?.numbers(Tags.ImagePositionPatient);
    return { segment: segment!, pixels, ...(source ? { sourceSop: source } : {}), ...(position?.length === 3 ? { position } : {}) };
  });
  return { name: file.name, rows: pm.rows, cols: pm.cols, type: type as DicomSeg['type'], segments, ...(orientation?.length === 6 ? { orientation } : {}), frames: out, warnings };
}

/** The slices a SEG is laid onto: a series volume's geometry (series.ts). */
export interface SeriesGeometry {
  source: string;
  frames: number;
  rows: number;
  cols: number;
  /** SOP Instance UID of each slice, in volume order. */
  sopInstanceUids: readonly string[];
  /** Position of each slice along the normal (mm), when the series is sorted by position. */
  slicePositions?: readonly number[];
  orientation?: readonly number[];
}

function normalOf(iop: readonly number[]): number[] {
  const [a, b] = [iop.slice(0, 3), iop.slice(3, 6)] as [number[], number[]];
  return [a[1]! * b[2]! - a[2]! * b[1]!, a[2]! * b[0]! - a[0]! * b[2]!, a[0]! * b[1]! - a[1]! * b[0]!];
}

/**
 * A label map on the series' grid (slice, row, col): each voxel holds the
 * number of the segment covering it, 0 for none; where segments overlap the
 * higher number wins (counted in `overlaps`). Slices no frame covers are background.
 */
export function alignSeg(seg: DicomSeg, series: SeriesGeometry): { labels: Int32Array; overlaps: number } {
  const fail = (reason: string): never => {
    throw new FileFormatError(seg.name, reason);
  };
  if (seg.rows !== series.rows || seg.cols !== series.cols) fail(`frames are ${seg.rows}x${seg.cols}, the slices of ${series.source} ${series.rows}x${series.cols}`);
  if (seg.orientation && series.orientation && seg.orientation.some((v, i) => Math.abs(v - series.orientation![i]!) > 1e-4)) {
    fail(`ImageOrientationPatient ${seg.orientation.join('\\')} differs from ${series.source}'s ${series.orientation.join('\\')}`);
  }
  const bySop = new Map(series.sopInstanceUids.map((u, i) => [u, i]));
  const positions = series.slicePositions;
  const normal = series.orientation?.length === 6 ? normalOf(series.orientation) : undefined;
  const gaps = positions ? positions.slice(1).map((p, i) => Math.abs(p - positions[i]!)) : [];
  const tolerance = Math.max(1e-3, 0.1 * (gaps.length ? Math.min(...gaps) : 1));
  const hw = seg.rows * seg.cols;
  const labels = new Int32Array(series.frames * hw);
  let overlaps = 0;
  seg.frames.forEach((f, k) => {
    let slice = f.sourceSop !== undefined ? bySop.get(f.sourceSop) : undefined;
    if (slice === undefined && f.position && positions && normal) {
      const d = f.position[0]! * normal[0]! + f.position[1]! * normal[1]! + f.position[2]! * normal[2]!;
      const near = positions.findIndex((p) => Math.abs(p - d) <= tolerance);
      if (near >= 0) slice = near;
    }
    if (slice === undefined) {
      const what = f.sourceSop ? `names source image ${f.sourceSop}` : 'names no source image';
      return fail(`frame ${k + 1} ${what}${f.position ? ` at position ${f.position.join('\\')}` : ''}: no slice of ${series.source} matches it`);
    }
    const base = slice * hw;
    for (let i = 0; i < hw; i++) {
      if (!f.pixels[i]) continue;
      const cur = labels[base + i]!;
      if (cur !== 0 && cur !== f.segment) overlaps++;
      labels[base + i] = Math.max(cur, f.segment);
    }
  });
  return { labels, overlaps };
}
