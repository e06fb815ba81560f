/**
 * The common in-memory form of every image the readers produce (DICOM,
 * NIfTI slices and volumes, PNG/JPEG): float32 values, frames x rows x
 * columns x channels (channels last, like a Sample's HWC).
 */
export interface ImageMeta {
  /** Where it came from (a file path, or `file#slice 3`). */
  source: string;
  format: 'dicom' | 'nifti' | 'png' | 'jpeg' | 'tiff' | 'other';
  modality?: string;
  bitsAllocated?: number;
  bitsStored?: number;
  signed?: boolean;
  /** As stored in the file (MONOCHROME1, YBR_FULL_422, ...). */
  photometric?: string;
  transferSyntax?: { uid: string; name: string };
  /** Row and column spacing in mm, when known. */
  pixelSpacing?: [number, number];
  /** Applied modality rescale (value = stored * slope + intercept). */
  rescale?: { slope: number; intercept: number };
  /** The VOI window applied; values are then in [0, 1]. */
  window?: { center: number; width: number };
  /** Whether MONOCHROME1 values were inverted so that higher means brighter. */
  inverted?: boolean;
  /** NIfTI: integer-valued label map (values kept exact). */
  isLabel?: boolean;
}

export interface MedicalImage {
  data: Float32Array;
  rows: number;
  cols: number;
  /** Frames of a multi-frame DICOM, or slices of a volume. */
  frames: number;
  channels: number;
  meta: ImageMeta;
}

/** One frame as its own image (a view, no copy). */
export function frameOf(img: MedicalImage, frame: number): MedicalImage {
  const n = img.rows * img.cols * img.channels;
  if (frame < 0 || frame >= img.frames) throw new RangeError(`frame ${frame} out of range 0..${img.frames - 1}`);
  return { ...img, frames: 1, data: img.data.subarray(frame * n, (frame + 1) * n) };
}

export function imageStats(data: ArrayLike<number>): { min: number; max: number; mean: number; std: number } {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    sq += v * v;
  }
  const n = data.length || 1;
  const mean = sum / n;
  return { min, max, mean, std: Math.sqrt(Math.max(0, sq / n - mean * mean)) };
}
