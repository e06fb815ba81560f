/**
 * A dataset of image files kept as class folders per split: DIR/train/<class>/,
 * DIR/test/<class>/ and optionally DIR/val/<class>/ (else a seeded stratified
 * tenth of train). Images are read at one size (the first training image's,
 * or `size`), as RGB when that image has colour, optionally stain-normalised.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PrivmedError } from '../common/errors.js';
import { SubsetDataset, type Dataset } from './dataset.js';
import type { FileDatasetOptions, FileImageDataset } from './images/file-dataset.js';
import { openImageFolder } from './images/folder-dataset.js';
import { readImage } from './images/read-image.js';
import type { Split } from './medmnist.js';
import { stratifiedSplit } from './preprocess/split.js';
import type { StainSpec } from './stain/stain-spec.js';

/** Decoded items above this many float values are not cached. */
const CACHE_LIMIT = 256 * 2 ** 20;
const VALIDATION_FRACTION = 0.1;
const VALIDATION_SEED = 7;

export interface FolderDatasetOptions {
  /** Square side the images are resized to; default the first training image's size. */
  size?: number;
  stain?: StainSpec;
}

/** Whether a path is a folder of split folders (train/ at least). */
export function isSplitFolder(path: string): boolean {
  return existsSync(join(path, 'train')) && statSync(join(path, 'train')).isDirectory();
}

/** The read options a folder's images need: their size and channels, from the first image unless given. */
export async function folderReadOptions(first: FileImageDataset, opts: FolderDatasetOptions, dir: string): Promise<FileDatasetOptions> {
  if (first.length === 0) throw new PrivmedError(`${dir}: no image files in the class folders`);
  const img = await readImage(first.entries[0]!.path);
  const height = opts.size ?? img.rows;
  const width = opts.size ?? img.cols;
  const channels = img.channels >= 3 ? 3 : 1;
  const cache = first.length * height * width * channels <= CACHE_LIMIT;
  return { height, width, channels, cache, ...(opts.stain ? { stain: opts.stain } : {}) };
}

export async function openSplitFolders(dir: string, opts: FolderDatasetOptions): Promise<Record<Split, Dataset>> {
  const probe = await openImageFolder(join(dir, 'train'), { height: 1, width: 1 });
  const read = await folderReadOptions(probe, opts, join(dir, 'train'));
  const open = async (split: string): Promise<FileImageDataset> => {
    const ds = await openImageFolder(join(dir, split), read);
    const expected = probe.info.classes;
    if (ds.info.classes.join('\n') !== expected.join('\n')) {
      throw new PrivmedError(`${join(dir, split)}: class folders ${ds.info.classes.join(', ')} differ from train's ${expected.join(', ')}`);
    }
    return ds;
  };
  if (!existsSync(join(dir, 'test'))) throw new PrivmedError(`${dir}: no test/ folder`, { hint: 'expected DIR/train/<class>/ and DIR/test/<class>/ (DIR/val/<class>/ optional)' });
  const train = await open('train');
  const test = await open('test');
  if (existsSync(join(dir, 'val'))) return { train, val: await open('val'), test };
  const labels = Int32Array.from(train.entries, (e) => e.label);
  const cut = stratifiedSplit(labels, VALIDATION_FRACTION, VALIDATION_SEED);
  return { train: new SubsetDataset(train, cut.train), val: new SubsetDataset(train, cut.validation), test };
}

/**
 * A folder of class folders read for a model: DIR/<class>/ or, for a folder
 * of splits, DIR/<split>/<class>/. Its classes must be the model's, in order.
 */
export async function openClassFolders(dir: string, split: string, read: FileDatasetOptions, classes: readonly string[]): Promise<FileImageDataset> {
  const root = isSplitFolder(dir) ? join(dir, split) : dir;
  if (!existsSync(root)) throw new PrivmedError(`${root}: no such folder`, { hint: `expected ${dir}/<class>/ or ${dir}/${split}/<class>/` });
  const ds = await openImageFolder(root, read);
  if (ds.info.classes.join('\n') !== classes.join('\n')) {
    throw new PrivmedError(`${root}: class folders ${ds.info.classes.join(', ')} are not the model's classes ${classes.join(', ')}`);
  }
  if (ds.length === 0) throw new PrivmedError(`${root}: no image files in the class folders`);
  return ds;
}
