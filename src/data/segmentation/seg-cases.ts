/**
 * Segmentation cases: an image and its label map, read from a folder laid out
 * as `images/` and `labels/` with matching file names (MSD's imagesTr /
 * labelsTr, Montgomery's LR_64). NIfTI volumes (image and label on the same
 * grid and affine, integer labels), 2-D PNG pairs (a case of one slice), and
 * DICOM series (images/NAME/, one file per slice) with a DICOM SEG
 * (labels/NAME.dcm) laid onto their slices (dicom/seg.ts).
 * Intensities are normalised per case (z-score over the case's voxels), so no
 * dataset statistics are needed (and none are released under DP).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { FileFormatError, PrivmedError } from '../../common/errors.js';
import { decodeNifti, type NiftiVolume } from '../nifti/read-nifti.js';
import { decodeRaster } from '../images/read-raster.js';
import { parseDicom } from '../dicom/parse.js';
import { alignSeg, readDicomSeg } from '../dicom/seg.js';
import { readDicomSeries } from '../dicom/series.js';

export type SliceAxis = 0 | 1 | 2;

export interface SegCase {
  name: string;
  imagePath: string;
  labelPath: string;
  format: 'nifti' | 'png' | 'dicom';
  /** Slices x rows x cols after reordering (slices along the slice axis). */
  depth: number;
  height: number;
  width: number;
  /** Normalised intensities, (slice * height + row) * width + col. */
  image: Float32Array;
  /** Class per voxel, same order. */
  mask: Int32Array;
  /** NIfTI: the grid as stored, to write predictions back in the input's layout. */
  nifti?: { dims: number[]; axis: SliceAxis; affine: number[][] };
}

const IMAGE_EXT = /\.(nii\.gz|nii|png)$/i;

/** Image/label file pairs of a folder with images/ and labels/, sorted by name. */
export function listPairs(dir: string): { name: string; image: string; label: string }[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new PrivmedError(`${dir} is not a folder`, { hint: 'a segmentation folder holds images/ and labels/ with matching file names' });
  const images = join(dir, 'images');
  const labels = join(dir, 'labels');
  for (const d of [images, labels]) {
    if (!existsSync(d) || !statSync(d).isDirectory()) {
      throw new PrivmedError(`${dir}: no ${basename(d)}/ folder`, { hint: 'a segmentation folder holds images/ and labels/ with matching file names (.nii.gz or .png)' });
    }
  }
  // A folder in images/ is a DICOM series; its label is the SEG labels/<folder>.dcm.
  const labelOf = (f: string) => (statSync(join(images, f)).isDirectory() ? `${f}.dcm` : f);
  const names = readdirSync(images).filter((f) => !f.startsWith('.') && (IMAGE_EXT.test(f) || statSync(join(images, f)).isDirectory())).sort();
  if (names.length === 0) throw new PrivmedError(`${images}: no .nii, .nii.gz or .png files or DICOM series folders`);
  const missing = names.filter((f) => !existsSync(join(labels, labelOf(f))));
  if (missing.length) throw new PrivmedError(`${labels}: no label for ${missing.length} image(s), first ${labelOf(missing[0]!)}`, { hint: 'labels/ must hold a file of the same name for every image (NAME.dcm, a DICOM SEG, for a series folder NAME)' });
  return names.map((f) => ({ name: f.replace(IMAGE_EXT, ''), image: join(images, f), label: join(labels, labelOf(f)) }));
}

/** Reorders a NIfTI volume (i fastest) so the slice axis comes first: [s][r][c] with r, c the other axes in order. */
function reorder(data: Float32Array, dims: number[], axis: SliceAxis): { out: Float32Array; depth: number; height: number; width: number } {
  const [di, dj, dk] = dims as [number, number, number];
  const other = ([0, 1, 2] as const).filter((a) => a !== axis);
  const size = [di, dj, dk];
  const depth = size[axis]!;
  const height = size[other[0]!]!;
  const width = size[other[1]!]!;
  const stride = [1, di, di * dj];
  const out = new Float32Array(depth * height * width);
  let n = 0;
  for (let s = 0; s < depth; s++) {
    for (let r = 0; r < height; r++) {
      for (let c = 0; c < width; c++) out[n++] = data[s * stride[axis]! + r * stride[other[0]!]! + c * stride[other[1]!]!]!;
    }
  }
  return { out, depth, height, width };
}

/** The inverse of reorder, for writing a prediction back on the file's grid. */
export function toNiftiOrder(values: ArrayLike<number>, dims: number[], axis: SliceAxis): Float32Array {
  const [di, dj] = dims as [number, number, number];
  const other = ([0, 1, 2] as const).filter((a) => a !== axis);
  const size = dims.slice(0, 3);
  const stride = [1, di, di * dj];
  const out = new Float32Array(size[0]! * size[1]! * size[2]!);
  let n = 0;
  for (let s = 0; s < size[axis]!; s++) {
    for (let r = 0; r < size[other[0]!]!; r++) {
      for (let c = 0; c < size[other[1]!]!; c++) out[s * stride[axis]! + r * stride[other[0]!]! + c * stride[other[1]!]!] = values[n++]!;
    }
  }
  return out;
}

function zscore(x: Float32Array): Float32Array {
  let sum = 0;
  for (const v of x) sum += v;
  const mean = sum / x.length;
  let sq = 0;
  for (const v of x) sq += (v - mean) ** 2;
  const std = Math.sqrt(sq / x.length) || 1;
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = (x[i]! - mean) / std;
  return out;
}

function sameAffine(a: number[][], b: number[][]): boolean {
  return a.every((row, i) => row.every((v, j) => Math.abs(v - b[i]![j]!) <= 1e-3 * Math.max(1, Math.abs(v))));
}

function checkLabels(mask: Float32Array, file: string, numClasses: number): Int32Array {
  const out = new Int32Array(mask.length);
  for (let i = 0; i < mask.length; i++) {
    const v = mask[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= numClasses) {
      throw new FileFormatError(file, `label value ${v} at voxel ${i}: expected an integer class 0..${numClasses - 1}`);
    }
    out[i] = v;
  }
  return out;
}

async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new FileFormatError(path, `cannot read file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export interface ReadCaseOptions {
  numClasses: number;
  /** NIfTI: the axis slices are taken along (default 0). */
  axis?: SliceAxis;
  /** PNG masks: a value above this is class 1 (binary masks stored 0/255); default: values are the classes. */
  binaryThreshold?: number;
  /** Internal: no label file, the mask is all background. */
  unlabelled?: boolean;
}

/** One case; without a label file (prediction) its mask is all background. */
export async function readCase(pair: { name: string; image: string; label?: string }, o: ReadCaseOptions): Promise<SegCase> {
  const axis = o.axis ?? 0;
  if (!pair.label) return readCase({ ...pair, label: pair.image }, { ...o, numClasses: Infinity, unlabelled: true });
  if (statSync(pair.image).isDirectory()) return readDicomCase({ ...pair, label: pair.label }, o);
  if (/\.png$/i.test(pair.image)) {
    const img = await decodeRaster(await readBytes(pair.image), pair.image, 'png');
    const lab = o.unlabelled ? img : await decodeRaster(await readBytes(pair.label), pair.label, 'png');
    if (img.rows !== lab.rows || img.cols !== lab.cols) throw new FileFormatError(pair.label, `mask is ${lab.cols}x${lab.rows}, its image ${img.cols}x${img.rows}`);
    const grey = new Float32Array(img.rows * img.cols);
    for (let i = 0; i < grey.length; i++) grey[i] = img.data[i * img.channels]!;
    const raw = new Float32Array(lab.rows * lab.cols);
    for (let i = 0; i < raw.length && !o.unlabelled; i++) raw[i] = o.binaryThreshold !== undefined ? (lab.data[i * lab.channels]! > o.binaryThreshold ? 1 : 0) : lab.data[i * lab.channels]!;
    return { name: pair.name, imagePath: pair.image, labelPath: pair.label, format: 'png', depth: 1, height: img.rows, width: img.cols, image: zscore(grey), mask: checkLabels(raw, pair.label, o.numClasses) };
  }
  const img: NiftiVolume = decodeNifti(await readBytes(pair.image), pair.image);
  const lab: NiftiVolume = o.unlabelled ? { ...img, data: new Float32Array(img.data.length) } : decodeNifti(await readBytes(pair.label), pair.label);
  const grid = (v: NiftiVolume) => v.dims.slice(0, 3).join('x');
  if (img.dims.slice(3).some((d) => d !== 1)) throw new FileFormatError(pair.image, `a ${img.dims.join('x')} volume: only single 3-D volumes are supported`);
  if (grid(img) !== grid(lab)) throw new FileFormatError(pair.label, `label grid ${grid(lab)} differs from its image's ${grid(img)}`);
  if (!sameAffine(img.affine, lab.affine)) throw new FileFormatError(pair.label, `label affine ${JSON.stringify(lab.affine)} differs from its image's ${JSON.stringify(img.affine)}`);
  const im = reorder(img.data, img.dims, axis);
  // Checked in the file's voxel order, so an error names the voxel as the file stores it.
  const lb = reorder(Float32Array.from(checkLabels(lab.data, pair.label, o.numClasses)), lab.dims, axis);
  return {
    name: pair.name,
    imagePath: pair.image,
    labelPath: pair.label,
    format: 'nifti',
    depth: im.depth,
    height: im.height,
    width: im.width,
    image: zscore(im.out),
    mask: Int32Array.from(lb.out),
    nifti: { dims: img.dims.slice(0, 3), axis, affine: img.affine },
  };
}

/** A DICOM series (slices in position order) and the SEG drawn on it: segment number n is class n. */
async function readDicomCase(pair: { name: string; image: string; label: string }, o: ReadCaseOptions): Promise<SegCase> {
  const vol = await readDicomSeries(pair.image);
  const { image } = vol;
  if (image.channels !== 1) throw new FileFormatError(pair.image, `${image.channels}-channel slices: segmentation reads greyscale series`);
  const geometry = { source: pair.image, frames: image.frames, rows: image.rows, cols: image.cols, sopInstanceUids: vol.sopInstanceUids, ...(vol.slicePositions ? { slicePositions: vol.slicePositions } : {}), ...(vol.orientation ? { orientation: vol.orientation } : {}) };
  const mask = o.unlabelled ? new Int32Array(image.data.length) : alignSeg(await readDicomSeg(parseDicom(await readBytes(pair.label), pair.label)), geometry).labels;
  const checked = checkLabels(Float32Array.from(mask), pair.label, o.numClasses);
  return { name: pair.name, imagePath: pair.image, labelPath: pair.label, format: 'dicom', depth: image.frames, height: image.rows, width: image.cols, image: zscore(image.data), mask: checked };
}

/** Reads every case of a folder (small datasets: kept in memory). */
export async function readCases(dir: string, o: ReadCaseOptions): Promise<SegCase[]> {
  const out: SegCase[] = [];
  for (const p of listPairs(dir)) out.push(await readCase(p, o));
  return out;
}
