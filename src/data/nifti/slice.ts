/**
 * 2-D slices of a NIfTI volume as MedicalImages. Slicing along axis 2 (k,
 * usually axial) gives rows = j and columns = i, in file order; no
 * reorientation to a display convention is done, so that an image and its
 * label slice always line up.
 */
import { PrivmedError } from '../../common/errors.js';
import type { MedicalImage } from '../images/medical-image.js';
import type { NiftiVolume } from './read-nifti.js';

export type Axis = 0 | 1 | 2;

export function sliceCount(vol: NiftiVolume, axis: Axis): number {
  return vol.dims[axis]!;
}

/** One slice (of volume t for 4-D data). */
export function niftiSlice(vol: NiftiVolume, axis: Axis, index: number, t = 0): MedicalImage {
  const [nx, ny, nz] = vol.dims as [number, number, number];
  const nt = vol.dims.slice(3).reduce((a, b) => a * b, 1);
  if (!Number.isInteger(index) || index < 0 || index >= vol.dims[axis]!) {
    throw new PrivmedError(`${vol.source}: slice ${index} out of range 0..${vol.dims[axis]! - 1} along axis ${axis}`);
  }
  if (!Number.isInteger(t) || t < 0 || t >= nt) throw new PrivmedError(`${vol.source}: volume ${t} out of range 0..${nt - 1}`);
  const base = t * nx * ny * nz;
  // (rows, cols, offset of (r, c)) for each axis
  const [rows, cols, at] =
    axis === 2
      ? [ny, nx, (r: number, c: number) => c + nx * (r + ny * index)]
      : axis === 1
        ? [nz, nx, (r: number, c: number) => c + nx * (index + ny * r)]
        : [nz, ny, (r: number, c: number) => index + nx * (c + ny * r)];
  const data = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) data[r * cols + c] = vol.data[base + at(r, c)]!;
  const spacing = axis === 2 ? [vol.spacing[1]!, vol.spacing[0]!] : axis === 1 ? [vol.spacing[2]!, vol.spacing[0]!] : [vol.spacing[2]!, vol.spacing[1]!];
  return {
    data,
    rows,
    cols,
    frames: 1,
    channels: 1,
    meta: {
      source: `${vol.source}#axis${axis}:${index}${nt > 1 ? `:t${t}` : ''}`,
      format: 'nifti',
      pixelSpacing: spacing as [number, number],
      isLabel: vol.isLabel,
      ...(vol.scaling ? { rescale: { slope: vol.scaling.slope, intercept: vol.scaling.intercept } } : {}),
    },
  };
}

/** All slices along an axis as one multi-frame image. */
export function niftiSlices(vol: NiftiVolume, axis: Axis, t = 0): MedicalImage {
  const n = sliceCount(vol, axis);
  const first = niftiSlice(vol, axis, 0, t);
  const size = first.rows * first.cols;
  const data = new Float32Array(n * size);
  data.set(first.data, 0);
  for (let i = 1; i < n; i++) data.set(niftiSlice(vol, axis, i, t).data, i * size);
  return { ...first, data, frames: n, meta: { ...first.meta, source: `${vol.source}#axis${axis}` } };
}
