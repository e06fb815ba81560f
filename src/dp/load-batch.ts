import { PrivmedError } from '../common/errors.js';
import type { Batch, BatchOptions, Dataset, Sample } from '../data/dataset.js';

/**
 * Reads the records a DP sampler picked into one NHWC batch (possibly empty).
 * An unreadable record is left out unless strict; that choice depends on the
 * record alone, so it is the same as the record not being in the dataset.
 */
export async function loadBatch(ds: Dataset, indices: Int32Array, opts: Pick<BatchOptions, 'strict' | 'onSkip'> = {}): Promise<Batch> {
  const { height, width, channels } = ds.info;
  const pixels = height * width * channels;
  const x = new Float32Array(indices.length * pixels);
  const y = new Int32Array(indices.length);
  const kept = new Int32Array(indices.length);
  let n = 0;
  for (const idx of indices) {
    let s: Sample;
    try {
      s = await ds.get(idx);
    } catch (err) {
      if (opts.strict || !(err instanceof Error)) throw err;
      opts.onSkip?.(idx, err);
      continue;
    }
    if (s.image.length !== pixels) {
      const e = new PrivmedError(`${ds.describe?.(idx) ?? `item ${idx}`}: image has ${s.image.length} values, expected ${height}x${width}x${channels}`);
      if (opts.strict) throw e;
      opts.onSkip?.(idx, e);
      continue;
    }
    x.set(s.image, n * pixels);
    y[n] = s.label;
    kept[n] = idx;
    n++;
  }
  return n === indices.length ? { x, y, indices: kept, size: n } : { x: x.slice(0, n * pixels), y: y.slice(0, n), indices: kept.slice(0, n), size: n };
}
