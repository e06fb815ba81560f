/** Finds a dataset named in a config or on the command line. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PrivmedError } from '../common/errors.js';
import { KNOWN_DATASETS } from './fetch.js';
import { loadMedMnist, type MedMnist } from './medmnist.js';
import { dataRoot } from './paths.js';

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
