/**
 * Cuts a large image (TIFF/BigTIFF, tiled or pyramidal, or any format libvips
 * reads) into square tiles, read region by region, and writes those with
 * tissue as PNG files of a class folder: OUTDIR/<label>/<slide>_L<level>_x<X>_y<Y>.png.
 * Tissue is told from glass by Otsu's threshold on HSV saturation, found once
 * on a thumbnail of the whole level; a tile whose tissue share is below
 * minTissue is counted as background and not written. Tiles already on disk
 * are skipped (a rerun resumes), and each file is written beside its name
 * and renamed, so an interruption never leaves a torn tile. Edge remainders
 * smaller than a tile are left out. Slides that need OpenSlide (vendor
 * formats such as MRXS, NDPI, or SVS with JPEG 2000 tiles) are not readable.
 */
import { existsSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { writeFileAtomic } from '../../common/atomic.js';
import { FileFormatError, PrivmedError } from '../../common/errors.js';
import { histogram256, otsuThreshold, saturation } from './otsu.js';

export interface TileOptions {
  size: number;
  /** Pyramid level (page of a multi-page / pyramidal TIFF); 0 is full resolution. */
  level?: number;
  /** Share of a tile's pixels that must be tissue (default 0.25). */
  minTissue?: number;
  /** Class folder name (default the slide's file name without extension). */
  label?: string;
  onProgress?: (p: TileProgress) => void;
}

export interface TileProgress {
  done: number;
  total: number;
  written: number;
  existing: number;
  background: number;
}

export interface TileResult extends TileProgress {
  width: number;
  height: number;
  /** Otsu's saturation threshold (0..255): pixels above it count as tissue. */
  threshold: number;
  folder: string;
}

/** Longest side of the thumbnail the tissue threshold is found on. */
const THUMBNAIL = 1024;
/** The saturation threshold never goes below this, so a slide of glass only is not all "tissue". */
const MIN_THRESHOLD = 20;

export async function tileSlide(slide: string, outDir: string, opts: TileOptions): Promise<TileResult> {
  const { size } = opts;
  const level = opts.level ?? 0;
  const minTissue = opts.minTissue ?? 0.25;
  if (!Number.isInteger(size) || size < 8 || size > 8192) throw new PrivmedError(`--size: expected an integer 8..8192, got ${size}`);
  if (!Number.isInteger(level) || level < 0) throw new PrivmedError(`--level: expected a non-negative integer, got ${level}`);
  if (!(minTissue >= 0 && minTissue <= 1)) throw new PrivmedError(`--min-tissue: expected 0..1, got ${minTissue}`);
  const open = () => sharp(slide, { page: level, limitInputPixels: false, failOn: 'error' });
  let width: number;
  let height: number;
  try {
    const meta = await sharp(slide, { limitInputPixels: false }).metadata();
    const pages = meta.pages ?? 1;
    if (level >= pages) throw new PrivmedError(`${slide}: level ${level} requested, the file has ${pages} (levels 0..${pages - 1})`);
    const at = await open().metadata();
    width = at.width ?? 0;
    height = at.height ?? 0;
  } catch (err) {
    if (err instanceof PrivmedError) throw err;
    throw new FileFormatError(slide, `cannot read as an image: ${(err as Error).message}`, { hint: 'TIFF/BigTIFF (tiled, pyramidal), PNG and JPEG are read; formats that need OpenSlide are not' });
  }
  const threshold = Math.max(MIN_THRESHOLD, await saturationThreshold(open()));
  const label = opts.label ?? basename(slide, extname(slide));
  const folder = join(outDir, label);
  const stem = basename(slide, extname(slide));
  const cols = Math.floor(width / size);
  const rows = Math.floor(height / size);
  const p: TileProgress = { done: 0, total: cols * rows, written: 0, existing: 0, background: 0 };
  for (let ty = 0; ty < rows; ty++) {
    for (let tx = 0; tx < cols; tx++) {
      const file = join(folder, `${stem}_L${level}_x${tx * size}_y${ty * size}.png`);
      if (existsSync(file)) p.existing++;
      else {
        const { data } = await open().extract({ left: tx * size, top: ty * size, width: size, height: size }).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
        if (tissueShare(data, threshold) < minTissue) p.background++;
        else {
          writeFileAtomic(file, await sharp(data, { raw: { width: size, height: size, channels: 3 } }).png().toBuffer());
          p.written++;
        }
      }
      p.done++;
      opts.onProgress?.({ ...p });
    }
  }
  return { ...p, width, height, threshold, folder };
}

async function saturationThreshold(image: Sharp): Promise<number> {
  const { data } = await image.resize(THUMBNAIL, THUMBNAIL, { fit: 'inside', withoutEnlargement: true }).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return otsuThreshold(histogram256(saturation(data)));
}

function tissueShare(rgb: Uint8Array, threshold: number): number {
  const s = saturation(rgb);
  let n = 0;
  for (const v of s) if (v > threshold) n++;
  return n / s.length;
}
