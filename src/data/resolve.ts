/** Finds a dataset named in a config or on the command line. */
import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { PrivmedError } from '../common/errors.js';
import type { Dataset } from './dataset.js';
import { KNOWN_DATASETS } from './fetch.js';
import { isSplitFolder, openSplitFolders } from './image-folders.js';
import { loadMedMnist, type MedMnist, type Split } from './medmnist.js';
import { dataRoot } from './paths.js';
import { resolveStain, type StainConfig, type StainSpec } from './stain/stain-spec.js';

/** `pneumoniamnist` (under the data root) or a path to a MedMNIST .npz file. */
export function resolveMedMnistPath(dataset: string, root?: string): string {
  const known = KNOWN_DATASETS[dataset];
  const path = known ? join(dataRoot(root), known.file) : dataset;
  if (!existsSync(path)) {
    throw new PrivmedError(`data not found: ${path}`, {
      hint: known
        ? `run 'privmed data fetch ${dataset}' to download it, or point --data / PRIVMED_DATA at the folder that holds ${known.file}`
        : `give a MedMNIST .npz file or one of: ${Object.keys(KNOWN_DATASETS).join(', ')}`,
    });
  }
  return path;
}

export async function openMedMnist(dataset: string, root?: string): Promise<MedMnist> {
  return loadMedMnist(resolveMedMnistPath(dataset, root));
}

/** Image-folder datasets privmed knows by name (under the data root). */
const KNOWN_FOLDERS: Record<string, string> = { kather2016: 'kather2016' };

export interface DataSource {
  /** A MedMNIST name or .npz file, a known folder dataset (kather2016), or a folder of split folders. */
  dataset: string;
  root?: string;
  /** Image folders: square side to resize to. */
  size?: number;
  /** Image folders: stain normalisation of RGB images. */
  stain?: StainConfig;
}

export interface OpenedDataset {
  name: string;
  splits: Record<Split, Dataset>;
  /** The stain normalisation the images get, resolved to statistics (stored with a model). */
  stain?: StainSpec;
}

/** The folder a dataset name stands for (kather2016, or a folder path), or null for MedMNIST names and files. */
export function datasetFolder(dataset: string, root?: string): string | null {
  const known = KNOWN_FOLDERS[dataset];
  if (known) return join(dataRoot(root), known);
  return existsSync(dataset) && statSync(dataset).isDirectory() ? dataset : null;
}

/** Opens any dataset a config names: MedMNIST arrays, or class folders per split. */
export async function openDataset(src: DataSource): Promise<OpenedDataset> {
  const dir = datasetFolder(src.dataset, src.root);
  if (dir) {
    if (!existsSync(dir)) throw new PrivmedError(`data not found: ${dir}`, { hint: `point PRIVMED_DATA (or data.root) at the folder that holds ${basename(dir)}/` });
    if (!isSplitFolder(dir)) throw new PrivmedError(`${dir}: no train/ folder`, { hint: 'expected DIR/train/<class>/ and DIR/test/<class>/ (DIR/val/<class>/ optional)' });
    const stain = src.stain ? await resolveStain(src.stain, dataRoot(src.root)) : undefined;
    const splits = await openSplitFolders(dir, { ...(src.size ? { size: src.size } : {}), ...(stain ? { stain } : {}) });
    return { name: basename(dir), splits, ...(stain ? { stain } : {}) };
  }
  if (src.size || src.stain) throw new PrivmedError(`${src.dataset}: size and stain apply to image folders, not to MedMNIST arrays`);
  const m = await openMedMnist(src.dataset, src.root);
  return { name: m.name, splits: m.splits };
}
