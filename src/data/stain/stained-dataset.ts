/**
 * A view of RGB tiles normalised to a stain reference that arrives after the
 * data is opened (a federation's exchanged reference, docs/histopathology.md):
 * until `use` is called the tiles pass through unchanged. Normalised tiles are
 * kept (the reference does not change within a run), so each tile is
 * normalised once, as a file dataset does at read time.
 */
import { PrivmedError } from '../../common/errors.js';
import type { Dataset, DatasetInfo, Sample } from '../dataset.js';
import { applyStain, type StainSpec } from './stain-spec.js';

export class StainedDataset implements Dataset {
  private reference: StainSpec | null = null;
  private readonly cache = new Map<number, Float32Array>();

  constructor(readonly raw: Dataset) {
    if (raw.info.channels !== 3) throw new PrivmedError(`data.stain: stain normalisation needs RGB tiles, the dataset has ${raw.info.channels} channel(s)`);
  }

  get info(): DatasetInfo {
    return this.raw.info;
  }
  get length(): number {
    return this.raw.length;
  }
  /** The reference in use, or null before one arrived. */
  get stain(): StainSpec | null {
    return this.reference;
  }

  /** Normalises to `spec` from now on; a no-op when it is the one in use. */
  use(spec: StainSpec): void {
    if (this.reference && JSON.stringify(this.reference) === JSON.stringify(spec)) return;
    this.reference = spec;
    this.cache.clear();
  }

  label(i: number): number {
    return this.raw.label(i);
  }

  async get(i: number): Promise<Sample> {
    const sample = await this.raw.get(i);
    if (!this.reference) return sample;
    let image = this.cache.get(i);
    if (!image) {
      image = applyStain(sample.image, this.reference);
      this.cache.set(i, image);
    }
    // A copy: callers (augmentation) may write into the image they get.
    return { ...sample, image: image.slice() };
  }

  describe(i: number): string {
    return this.raw.describe?.(i) ?? `item ${i}`;
  }
}
