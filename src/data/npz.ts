/** NumPy .npz archives: a zip of .npy members, read eagerly into memory. */
import { readFile } from 'node:fs/promises';
import { FileFormatError } from '../common/errors.js';
import { listZip, readZipEntry } from './zip.js';
import { parseNpy, type NpyArray } from './npy.js';

export function parseNpz(buf: Uint8Array, file: string): Map<string, NpyArray> {
  const arrays = new Map<string, NpyArray>();
  for (const entry of listZip(buf, file)) {
    if (!entry.name.endsWith('.npy')) continue;
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
