/** Checksums for reference comparisons: sha256 of values as little-endian int32 or float64. */
import { createHash } from 'node:crypto';

export function sha256Int32(values: ArrayLike<number>): string {
  const a = Int32Array.from(values as ArrayLike<number>);
  return createHash('sha256').update(new Uint8Array(a.buffer)).digest('hex');
}

export function sha256Float64(values: ArrayLike<number>): string {
  const a = Float64Array.from(values as ArrayLike<number>);
  return createHash('sha256').update(new Uint8Array(a.buffer)).digest('hex');
}

export function stats(values: ArrayLike<number>): { min: number; max: number; mean: number } {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  return { min, max, mean: sum / values.length };
}
