/** NumPy .npz archives: a zip of .npy members, read eagerly into memory. */
import { readFile } from 'node:fs/promises';
import { FileFormatError } from '../common/errors.js';
import { listZip, readZipEntry } from './zip.js';
import { parseNpy, type NpyArray } from './npy.js';

/**
 * The most an archive may expand to in memory. A deflate member's declared size
 * is believed only up to this, so a zip bomb is refused before it is inflated.
 */
export function maxNpzBytes(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.PRIVMED_MAX_NPZ_BYTES;
  if (v === undefined || v === '') return 4 * 2 ** 30;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0) throw new FileFormatError('PRIVMED_MAX_NPZ_BYTES', `expected a positive whole number of bytes, got '${v}'`);
  return n;
}

export function parseNpz(buf: Uint8Array, file: string, maxBytes = maxNpzBytes()): Map<string, NpyArray> {
  const arrays = new Map<string, NpyArray>();
  const members = listZip(buf, file).filter((e) => e.name.endsWith('.npy'));
  const total = members.reduce((s, e) => s + e.size, 0);
  if (total > maxBytes) {
    const gib = (b: number) => `${(b / 2 ** 30).toFixed(2)} GiB`;
    throw new FileFormatError(file, `its arrays would take ${gib(total)} in memory, over the limit of ${gib(maxBytes)} (a zip bomb, or a dataset too large to load at once)`, {
      hint: 'raise the limit with PRIVMED_MAX_NPZ_BYTES=<bytes> if the file is trusted and the memory is there',
    });
  }
  for (const entry of members) {
    const key = entry.name.slice(0, -4);
    arrays.set(key, parseNpy(readZipEntry(buf, entry, file), `${file} member '${entry.name}'`));
  }
  if (arrays.size === 0) throw new FileFormatError(file, 'archive holds no .npy arrays');
  return arrays;
}

export async function readNpz(file: string): Promise<Map<string, NpyArray>> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new FileFormatError(file, code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? (err as Error).message})`);
  }
  return parseNpz(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), file);
}
