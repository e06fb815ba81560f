/**
 * A Dataset over image files (any mix of PNG, JPEG, DICOM, NIfTI): each item
 * is read lazily, converted to the dataset's channel count and resized to its
 * fixed size. An unreadable file makes get() throw a FileFormatError naming
 * it; `batches()` then skips and reports it unless strict, and the reason is
 * kept in `failures` for the end-of-run report.
 */
import { FileFormatError } from '../../common/errors.js';
import type { Dataset, DatasetInfo, Sample } from '../dataset.js';
import { convertChannels } from '../preprocess/channels.js';
import { resizeHwc, type ResizeMethod } from '../preprocess/resize.js';
import { applyStain, type StainSpec } from '../stain/stain-spec.js';
import { readImage, type ImageReadOptions } from './read-image.js';

export interface FileEntry {
  path: string;
  label: number;
}

export interface FileDatasetOptions extends ImageReadOptions {
  height: number;
  width: number;
  /** 1 (default) or 3. */
  channels?: 1 | 3;
  resize?: ResizeMethod;
  /** Stain normalisation of RGB images, after resizing. */
  stain?: StainSpec;
  /** Keep decoded items in memory (small datasets read every epoch). */
  cache?: boolean;
}

export interface SkippedFile {
  file: string;
  reason: string;
}

export class FileImageDataset implements Dataset {
  readonly info: DatasetInfo;
  /** Items whose file could not be read, with the reason (filled as items are read). */
  readonly failures = new Map<number, string>();
  private readonly cache = new Map<number, Float32Array>();

  constructor(
    readonly entries: FileEntry[],
    classes: string[],
    private readonly opts: FileDatasetOptions,
    /** Files found while scanning but not used (not an image name, missing, bad label...). */
    readonly skipped: SkippedFile[] = [],
  ) {
    this.info = { height: opts.height, width: opts.width, channels: opts.channels ?? 1, classes };
  }

  get length(): number {
    return this.entries.length;
  }

  label(i: number): number {
    return this.entries[i]!.label;
  }

  describe(i: number): string {
    return this.entries[i]?.path ?? `item ${i}`;
  }

  async get(i: number): Promise<Sample> {
    const entry = this.entries[i];
    if (!entry) throw new RangeError(`item ${i} out of range 0..${this.entries.length - 1}`);
    const cached = this.cache.get(i);
    // A copy: transforms downstream may write into the image.
    if (cached) return { image: cached.slice(), label: entry.label };
    try {
      const img = await readImage(entry.path, this.opts);
      const pixels = img.rows * img.cols;
      const { height, width, channels } = this.info;
      const conv = convertChannels(img.data.subarray(0, pixels * img.channels), pixels, img.channels, channels);
      let image = resizeHwc(conv, img.rows, img.cols, channels, height, width, this.opts.resize ?? 'linear');
      if (this.opts.stain && channels === 3) image = applyStain(image, this.opts.stain);
      if (this.opts.cache) this.cache.set(i, image.slice());
      return { image, label: entry.label };
    } catch (err) {
      const e = err instanceof FileFormatError ? err : new FileFormatError(entry.path, (err as Error).message, { cause: err });
      this.failures.set(i, e.message);
      throw e;
    }
  }

  /** Reads every item once; returns the ones that fail, with the reason. */
  async validate(onItem?: (i: number, ok: boolean) => void): Promise<SkippedFile[]> {
    const bad: SkippedFile[] = [];
    for (let i = 0; i < this.length; i++) {
      try {
        await this.get(i);
        onItem?.(i, true);
      } catch (err) {
        bad.push({ file: this.entries[i]!.path, reason: (err as Error).message });
        onItem?.(i, false);
      }
    }
    return bad;
  }
}
