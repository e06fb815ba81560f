/**
 * Reads a DICOM file into a MedicalImage: parse, decode every requested
 * frame, then colour conversion, modality rescale, MONOCHROME1 inversion and
 * an optional VOI window. Errors are FileFormatErrors naming the file and the
 * unsupported feature or the inconsistency found.
 */
import { readFile } from 'node:fs/promises';
import { FileFormatError } from '../../common/errors.js';
import type { MedicalImage } from '../images/medical-image.js';
import { rgbToGrey, ybrFullToRgb } from './colour.js';
import { PixelFrames } from './decode-frame.js';
import { applyWindow, invertInRange, modalityRange, type VoiFunction, type Window } from './voi.js';
import { parseDicom, type DicomFile } from './parse.js';
import { readPixelModule, type PixelModule } from './pixel-module.js';
import { Tags } from './tags.js';
import { transferSyntaxName } from './transfer-syntax.js';
import type { StoredFrame } from './stored-values.js';

export interface DicomReadOptions {
  /** Frame indices to decode (default: all). */
  frames?: number[];
  /** Apply RescaleSlope/Intercept (default true). */
  rescale?: boolean;
  /** 'none' (default): modality values; 'file': the file's first window; or a given window. Windowed output is in [0, 1]. */
  window?: 'none' | 'file' | Window;
  /** Invert MONOCHROME1 so that higher values are brighter (default true). */
  invertMonochrome1?: boolean;
  /** Reduce colour to one luma channel (default false: RGB, 3 channels). */
  greyscale?: boolean;
}

export async function readDicomFile(path: string, opts: DicomReadOptions = {}): Promise<MedicalImage> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new FileFormatError(path, `cannot read file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return decodeDicom(bytes, path, opts);
}

export async function decodeDicom(bytes: Uint8Array, name: string, opts: DicomReadOptions = {}): Promise<MedicalImage> {
  return decodeParsedDicom(parseDicom(bytes, name), opts);
}

/** Stored values of the requested frames, before any grey-level transform (for checks and hashing). */
export async function decodeStoredFrames(file: DicomFile, frames?: number[]): Promise<{ pm: PixelModule; frames: StoredFrame[]; photometric: string }> {
  const pm = readPixelModule(file);
  if (pm.photometric === 'PALETTE COLOR') throw new FileFormatError(file.name, 'unsupported photometric interpretation PALETTE COLOR');
  const source = new PixelFrames(file, pm);
  const wanted = frames ?? Array.from({ length: pm.frames }, (_, i) => i);
  const out: StoredFrame[] = [];
  let photometric = pm.photometric;
  for (const f of wanted) {
    if (!Number.isInteger(f) || f < 0 || f >= pm.frames) throw new FileFormatError(file.name, `frame ${f} requested, the file has ${pm.frames}`);
    const d = await source.decode(f);
    out.push(d.values);
    photometric = d.photometric;
  }
  return { pm, frames: out, photometric };
}

export async function decodeParsedDicom(file: DicomFile, opts: DicomReadOptions = {}): Promise<MedicalImage> {
  const { pm, frames, photometric } = await decodeStoredFrames(file, opts.frames);
  const ds = file.dataset;
  const pixels = pm.rows * pm.cols;
  const colour = pm.samplesPerPixel === 3;
  const channels = colour && !opts.greyscale ? 3 : 1;
  const data = new Float32Array(frames.length * pixels * channels);
  frames.forEach((values, k) => {
    if (colour) {
      if (photometric === 'YBR_FULL' && !opts.greyscale) ybrFullToRgb(values, pm.bitsStored);
      if (opts.greyscale) {
        // the luma of YBR is its Y sample
        const grey = photometric === 'YBR_FULL' ? Float32Array.from({ length: pixels }, (_, p) => values[3 * p]!) : rgbToGrey(values, pixels);
        data.set(grey, k * pixels);
      } else data.set(values, k * pixels * 3);
    } else data.set(values, k * pixels);
  });

  const meta: MedicalImage['meta'] = {
    source: file.name,
    format: 'dicom',
    modality: ds.string(Tags.Modality),
    bitsAllocated: pm.bitsAllocated,
    bitsStored: pm.bitsStored,
    signed: pm.signed,
    photometric: pm.photometric,
    transferSyntax: { uid: file.transferSyntaxUid, name: transferSyntaxName(file.transferSyntaxUid) },
  };
  const spacing = ds.numbers(Tags.PixelSpacing);
  if (spacing.length === 2 && spacing.every(Number.isFinite)) meta.pixelSpacing = [spacing[0]!, spacing[1]!];

  if (!colour) {
    let slope = 1;
    let intercept = 0;
    if (opts.rescale ?? true) {
      slope = ds.number(Tags.RescaleSlope) ?? 1;
      intercept = ds.number(Tags.RescaleIntercept) ?? 0;
      if (slope === 0) slope = 1; // a zero slope is a writer bug; ignoring it keeps the image
      if (slope !== 1 || intercept !== 0) {
        for (let i = 0; i < data.length; i++) data[i] = data[i]! * slope + intercept;
        meta.rescale = { slope, intercept };
      }
    }
    const window = chooseWindow(file, opts.window ?? 'none');
    if (window) {
      applyWindow(data, window, (ds.string(Tags.VOILUTFunction) as VoiFunction | undefined) ?? 'LINEAR');
      meta.window = window;
    }
    if (pm.photometric === 'MONOCHROME1' && (opts.invertMonochrome1 ?? true)) {
      if (window) invertInRange(data, 0, 1);
      else invertInRange(data, ...modalityRange(pm.bitsStored, pm.signed, slope, intercept));
      meta.inverted = true;
    }
  }
  return { data, rows: pm.rows, cols: pm.cols, frames: frames.length, channels, meta };
}

function chooseWindow(file: DicomFile, w: 'none' | 'file' | Window): Window | undefined {
  if (w === 'none') return undefined;
  if (w !== 'file') {
    if (!(w.width > 0) || !Number.isFinite(w.center)) throw new FileFormatError(file.name, `invalid window centre ${w.center} / width ${w.width}`);
    return w;
  }
  const center = file.dataset.number(Tags.WindowCenter);
  const width = file.dataset.number(Tags.WindowWidth);
  if (center === undefined || width === undefined || !(width > 0)) throw new FileFormatError(file.name, 'no usable VOI window (WindowCenter/WindowWidth) in the file', { hint: 'give a window explicitly or read without one' });
  return { center, width };
}
