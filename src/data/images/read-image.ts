/**
 * One 2-D image from any supported file (PNG, JPEG, TIFF, DICOM, NIfTI), chosen by
 * content, with a consistent intensity convention so that a folder mixing
 * formats yields comparable values.
 */
import { readFile } from 'node:fs/promises';
import { FileFormatError } from '../../common/errors.js';
import { parseDicom } from '../dicom/parse.js';
import { readPixelModule } from '../dicom/pixel-module.js';
import { decodeParsedDicom } from '../dicom/read-dicom.js';
import { Tags } from '../dicom/tags.js';
import { decodeNifti } from '../nifti/read-nifti.js';
import { niftiSlice, type Axis } from '../nifti/slice.js';
import { detectFormat } from './detect-format.js';
import { imageStats, type MedicalImage } from './medical-image.js';
import { decodeRaster } from './read-raster.js';

export type IntensityMode = 'auto' | 'minmax' | 'raw';

export interface ImageReadOptions {
  /**
   * 'auto' (default): to [0, 1] by the format's natural range: PNG/JPEG by
   * 2^bits - 1, DICOM by the file's VOI window (else min-max), NIfTI by
   * min-max of the slice. 'minmax': every image by its own min-max.
   * 'raw': decoded values (DICOM modality units, NIfTI scaled values).
   */
  intensity?: IntensityMode;
  /** Which NIfTI slice: axis (default 2) and index (default the middle one). */
  niftiSlice?: { axis?: Axis; index?: number };
  /** Which frame of a multi-frame DICOM (default 0). */
  dicomFrame?: number;
}

export async function readImage(path: string, opts: ImageReadOptions = {}): Promise<MedicalImage> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new FileFormatError(path, `cannot read file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return decodeImage(bytes, path, opts);
}

export async function decodeImage(bytes: Uint8Array, name: string, opts: ImageReadOptions = {}): Promise<MedicalImage> {
  const format = detectFormat(bytes.subarray(0, 352), name);
  const mode = opts.intensity ?? 'auto';
  let img: MedicalImage;
  switch (format) {
    case 'png':
    case 'jpeg':
    case 'tiff':
      img = await decodeRaster(bytes, name, format);
      if (mode === 'auto') scale(img.data, 0, 2 ** (img.meta.bitsStored ?? 8) - 1);
      break;
    case 'dicom': {
      const file = parseDicom(bytes, name);
      const pm = readPixelModule(file);
      const hasWindow = file.dataset.number(Tags.WindowWidth) !== undefined && file.dataset.number(Tags.WindowCenter) !== undefined;
      const frame = opts.dicomFrame ?? 0;
      if (frame >= pm.frames) throw new FileFormatError(name, `frame ${frame} requested, the file has ${pm.frames}`);
      img = await decodeParsedDicom(file, { frames: [frame], window: mode === 'auto' && hasWindow && pm.samplesPerPixel === 1 ? 'file' : 'none' });
      if (mode === 'auto' && !img.meta.window) {
        if (pm.samplesPerPixel === 3) scale(img.data, 0, 2 ** pm.bitsStored - 1);
        else minMax(img.data);
      }
      break;
    }
    case 'nifti': {
      const vol = decodeNifti(bytes, name);
      const axis = opts.niftiSlice?.axis ?? 2;
      img = niftiSlice(vol, axis, opts.niftiSlice?.index ?? Math.floor(vol.dims[axis]! / 2));
      if (mode === 'auto') minMax(img.data);
      break;
    }
    default:
      throw new FileFormatError(name, 'unrecognised image format (not PNG, JPEG, TIFF, DICOM or NIfTI)');
  }
  if (mode === 'minmax') minMax(img.data);
  return img;
}

function scale(data: Float32Array, lo: number, hi: number): void {
  const range = hi - lo || 1;
  for (let i = 0; i < data.length; i++) data[i] = (data[i]! - lo) / range;
}

function minMax(data: Float32Array): void {
  const { min, max } = imageStats(data);
  scale(data, min, max > min ? max : min + 1);
}
