/**
 * Crash-safe file and folder replacement: write beside the target, fsync,
 * then rename. A process killed at any point leaves either the old or the
 * new version, never a torn one.
 */
import { existsSync, fsyncSync, openSync, closeSync, renameSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
  writeFileSync(tmp, data);
  const fd = openSync(tmp, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  syncDir(dirname(path));
}

/**
 * Replace folder `dir` with the files produced by `fill(tmpDir)`. The old
 * folder is moved aside before the new one takes its place; `recoverDir`
 * finishes an interrupted swap.
 */
export function replaceDirAtomic(dir: string, fill: (tmpDir: string) => void): void {
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  recoverDir(dir);
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  fill(tmp);
  syncDir(tmp);
  const old = `${dir}.old`;
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(tmp, dir);
  syncDir(parent);
  rmSync(old, { recursive: true, force: true });
}

/** If a swap was interrupted after the old folder moved aside, put it back. */
export function recoverDir(dir: string): void {
  const old = `${dir}.old`;
  if (existsSync(old)) {
    if (existsSync(dir)) rmSync(old, { recursive: true, force: true });
    else renameSync(old, dir);
  }
}

function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some filesystems do not allow fsync on folders; rename is still atomic.
  }
}
