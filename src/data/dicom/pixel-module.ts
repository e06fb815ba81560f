/**
 * The Image Pixel module (PS3.3 C.7.6.3): the attributes that say how to
 * interpret Pixel Data. Validated up front so that decoders can trust sizes.
 */
import { FileFormatError } from '../../common/errors.js';
import type { DicomFile } from './parse.js';
import { Tags } from './tags.js';

export interface PixelModule {
  rows: number;
  cols: number;
  frames: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  bitsStored: number;
  /** PixelRepresentation 1: two's complement. */
  signed: boolean;
  photometric: string;
  /** 0: RGBRGB..., 1: RRR...GGG...BBB... (native and RLE only). */
  planarConfiguration: number;
  /** Float Pixel Data / Double Float Pixel Data instead of integer Pixel Data. */
  float: 'float32' | 'float64' | undefined;
  pixelTag: number;
}

const MEDIA_STORAGE_DIRECTORY = '1.2.840.10008.1.3.10';
const SUPPORTED_PHOTOMETRIC = new Set(['MONOCHROME1', 'MONOCHROME2', 'RGB', 'YBR_FULL', 'YBR_FULL_422', 'YBR_RCT', 'YBR_ICT', 'PALETTE COLOR']);
/** Guard against corrupt headers asking for absurd allocations. */
export const MAX_PIXELS = 1 << 29;

export function isMediaDirectory(file: DicomFile): boolean {
  const cls = file.meta.string(Tags.MediaStorageSOPClassUID) ?? file.dataset.string(Tags.SOPClassUID);
  return cls === MEDIA_STORAGE_DIRECTORY || file.dataset.has(Tags.DirectoryRecordSequence);
}

export function readPixelModule(file: DicomFile): PixelModule {
  const ds = file.dataset;
  const fail = (reason: string): never => {
    throw new FileFormatError(file.name, reason);
  };
  const pixelTag = [Tags.PixelData, Tags.FloatPixelData, Tags.DoubleFloatPixelData].find((t) => ds.has(t));
  if (pixelTag === undefined) {
    fail(isMediaDirectory(file) ? 'no image: this is a DICOMDIR (Media Storage Directory), not an image' : 'no image: Pixel Data (7FE0,0010) is missing');
  }
  const int = (t: number, what: string, dflt?: number): number => {
    const v = ds.number(t) ?? dflt;
    if (v === undefined) return fail(`${what} is missing`);
    if (!Number.isInteger(v) || v < 0) return fail(`${what} is ${v}, expected a non-negative integer`);
    return v;
  };
  const rows = int(Tags.Rows, 'Rows (0028,0010)');
  const cols = int(Tags.Columns, 'Columns (0028,0011)');
  if (rows === 0 || cols === 0) fail(`image has ${rows}x${cols} pixels`);
  const frames = int(Tags.NumberOfFrames, 'NumberOfFrames (0028,0008)', 1) || 1;
  const samplesPerPixel = int(Tags.SamplesPerPixel, 'SamplesPerPixel (0028,0002)', 1);
  if (samplesPerPixel !== 1 && samplesPerPixel !== 3) fail(`unsupported SamplesPerPixel ${samplesPerPixel} (only 1 and 3)`);
  const float = pixelTag === Tags.FloatPixelData ? 'float32' : pixelTag === Tags.DoubleFloatPixelData ? 'float64' : undefined;
  const bitsAllocated = float === 'float32' ? 32 : float === 'float64' ? 64 : int(Tags.BitsAllocated, 'BitsAllocated (0028,0100)');
  if (!float && ![1, 8, 16, 32].includes(bitsAllocated)) fail(`unsupported BitsAllocated ${bitsAllocated} (1, 8, 16 or 32)`);
  const bitsStored = float ? bitsAllocated : int(Tags.BitsStored, 'BitsStored (0028,0101)', bitsAllocated);
  if (bitsStored < 1 || bitsStored > bitsAllocated) fail(`BitsStored ${bitsStored} does not fit BitsAllocated ${bitsAllocated}`);
  const pr = float ? 1 : int(Tags.PixelRepresentation, 'PixelRepresentation (0028,0103)', 0);
  if (pr > 1) fail(`PixelRepresentation ${pr} is neither 0 nor 1`);
  const photometric = ds.string(Tags.PhotometricInterpretation) ?? (samplesPerPixel === 3 ? 'RGB' : 'MONOCHROME2');
  if (!SUPPORTED_PHOTOMETRIC.has(photometric)) fail(`unsupported photometric interpretation ${photometric}`);
  const colour = photometric === 'RGB' || photometric.startsWith('YBR');
  if (colour !== (samplesPerPixel === 3)) fail(`photometric interpretation ${photometric} does not match SamplesPerPixel ${samplesPerPixel}`);
  if (bitsAllocated === 1 && samplesPerPixel !== 1) fail('1-bit pixels with more than one sample are not supported');
  const planarConfiguration = int(Tags.PlanarConfiguration, 'PlanarConfiguration (0028,0006)', 0);
  if (rows * cols * frames * samplesPerPixel > MAX_PIXELS) fail(`image of ${frames}x${rows}x${cols}x${samplesPerPixel} values is too large (limit ${MAX_PIXELS})`);
  return { rows, cols, frames, samplesPerPixel, bitsAllocated, bitsStored, signed: pr === 1, photometric, planarConfiguration: planarConfiguration ? 1 : 0, float, pixelTag: pixelTag! };
}
