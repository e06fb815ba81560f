/**
 * `privmed data fetch NAME`: downloads a MedMNIST file from its public home
 * (Zenodo), verifies the MD5 that MedMNIST publishes, and caches it. The file
 * is written to a temporary name and renamed only once verified, so an
 * interrupted download never leaves a file that looks complete.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PrivmedError } from '../common/errors.js';

export interface RemoteFile {
  name: string;
  file: string; // relative path under the data root
  urls: string[];
  md5: string;
}

export const KNOWN_DATASETS: Record<string, RemoteFile> = {
  pneumoniamnist: {
    name: 'pneumoniamnist',
    file: 'pneumoniamnist/pneumoniamnist.npz',
    urls: [
      'https://zenodo.org/records/10519652/files/pneumoniamnist.npz?download=1',
      'https://zenodo.org/record/6496656/files/pneumoniamnist.npz?download=1',
    ],
    md5: '28209eda62fecd6e6a2d98b1501bb15f',
  },
  breastmnist: {
    name: 'breastmnist',
    file: 'breastmnist/breastmnist.npz',
    urls: [
      'https://zenodo.org/records/10519652/files/breastmnist.npz?download=1',
      'https://zenodo.org/record/6496656/files/breastmnist.npz?download=1',
    ],
    md5: '750601b1f35ba3300ea97c75c52ff8f6',
  },
};

export async function md5File(path: string): Promise<string> {
  return createHash('md5').update(await readFile(path)).digest('hex');
}

export interface FetchResult {
  path: string;
  cached: boolean;
  md5: string;
}

/** Fetch `remote` into `root`, unless a verified copy is already there. */
export async function fetchDataset(
  remote: RemoteFile,
  root: string,
  log: (line: string) => void = () => {},
): Promise<FetchResult> {
  const target = join(root, remote.file);
  if (existsSync(target)) {
    const md5 = await md5File(target);
    if (md5 === remote.md5) return { path: target, cached: true, md5 };
    log(`${target}: checksum ${md5} does not match ${remote.md5}; downloading again`);
  }
  await mkdir(join(target, '..'), { recursive: true });
  const errors: string[] = [];
  for (const url of remote.urls) {
    const tmp = `${target}.part-${process.pid}`;
    try {
      log(`downloading ${url}`);
      const res = await fetch(url, { signal: AbortSignal.timeout(10 * 60_000) });
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), createWriteStream(tmp));
      const md5 = await md5File(tmp);
      if (md5 !== remote.md5) throw new Error(`MD5 ${md5} does not match the published ${remote.md5}`);
      await rename(tmp, target);
      return { path: target, cached: false, md5 };
    } catch (err) {
      errors.push(`${url}: ${(err as Error).message}`);
      await rm(tmp, { force: true });
    }
  }
  throw new PrivmedError(`could not fetch ${remote.name}: ${errors.join('; ')}`, {
    hint: `download it by hand and put it at ${target}`,
  });
}
