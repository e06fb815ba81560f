/**
 * Augmentation multiplicity (De et al. 2022): a sampled image enters a DP-SGD
 * step as the mean gradient of K augmented views, clipped once. The views
 * are functions of that one image, so the clipped contribution of a sample is
 * still bounded by the clip norm and the accounting is unchanged; the mean
 * has less augmentation noise than one view, which matters at small budgets.
 */
import { PrivmedError } from '../../common/errors.js';
import { loadBatch, type Batch, type BatchOptions, type Dataset, type Sample } from '../../data/dataset.js';
import type { GradientSink } from './clipping.js';

interface ViewedDataset extends Dataset {
  getView(i: number, view: number): Promise<Sample>;
}

function hasViews(ds: Dataset): ds is ViewedDataset {
  return typeof (ds as Partial<ViewedDataset>).getView === 'function';
}

/** K views of each index, adjacent: row j is view j % K of indices[floor(j / K)]. */
export async function loadViews(train: Dataset, indices: ArrayLike<number>, k: number, opts: Pick<BatchOptions, 'strict' | 'onSkip'> = {}): Promise<Batch> {
  if (k === 1) return loadBatch(train, indices, opts);
  if (!hasViews(train)) {
    throw new PrivmedError(`privacy.augmentationMultiplicity ${k} needs augmented training data`, { hint: 'turn training.augment on, or set augmentationMultiplicity to 1' });
  }
  const views: Dataset = {
    info: train.info,
    length: train.length * k,
    label: (j) => train.label(Math.floor(j / k)),
    get: (j) => train.getView(Math.floor(j / k), j % k),
    describe: (j) => train.describe?.(Math.floor(j / k)) ?? `item ${Math.floor(j / k)}`,
  };
  const rows = new Int32Array(indices.length * k);
  for (let i = 0; i < indices.length; i++) for (let v = 0; v < k; v++) rows[i * k + v] = indices[i]! * k + v;
  // An unreadable image fails all its views alike, so whole groups are skipped and the rows stay aligned.
  return loadBatch(views, rows, opts);
}

/** Averages each run of K consecutive samples and passes the mean on as one sample. */
export class ViewAveragingSink implements GradientSink {
  private readonly acc: Float32Array[];
  private seen = 0;

  constructor(
    private readonly next: GradientSink,
    sizes: readonly number[],
    private readonly k: number,
  ) {
    this.acc = sizes.map((n) => new Float32Array(n));
  }

  add(grads: readonly Float32Array[], row = 0): void {
    grads.forEach((g, v) => {
      const a = this.acc[v]!;
      const start = row * a.length;
      for (let i = 0; i < a.length; i++) a[i]! += g[start + i]! / this.k;
    });
    if (++this.seen % this.k === 0) {
      this.next.add(this.acc);
      for (const a of this.acc) a.fill(0);
    }
  }

  /** Whole samples passed on; a partial group at the end means the batch was misaligned. */
  finish(): void {
    if (this.seen % this.k !== 0) throw new PrivmedError(`augmentation multiplicity: ${this.seen} views is not a multiple of ${this.k}`);
  }
}
