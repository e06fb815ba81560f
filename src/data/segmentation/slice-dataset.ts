/**
 * 2-D (or 2.5-D) slices of segmentation cases as a Dataset the training core
 * batches. Every slice is padded (centred, zeros = the case mean after
 * z-scoring; background label) to a fixed patch whose sides are multiples of
 * 2^depth, so a U-Net sees one input size. With `context` c each sample has
 * 2c+1 channels: the slice and its c neighbours on either side (edge slices
 * repeat), a cheap 2.5-D view of the volume.
 *
 * Two modes:
 *  - 'sample' (training): item i is case i mod n, and each read draws one
 *    slice of it, a slice with foreground with probability `foreground`.
 *    One item per case (repeat 1) makes the case the unit DP-SGD samples
 *    and protects; `repeat` r gives r draws per case per epoch.
 *  - 'all' (evaluation, prediction): every slice of every case in order,
 *    each sample carrying its case as `group`.
 */
import { Rng } from '../../common/rng.js';
import { PrivmedError } from '../../common/errors.js';
import type { Dataset, DatasetInfo, Sample } from '../dataset.js';
import type { SegCase } from './seg-cases.js';

export interface SliceDatasetOptions {
  mode: 'sample' | 'all';
  /** Patch height and width (multiples of 2^depth, at least each case's slice size). */
  patch: [number, number];
  classes: string[];
  context?: number;
  /** 'sample': probability of drawing a slice that holds foreground (else uniform over slices). */
  foreground?: number;
  repeat?: number;
  seed?: number;
}

export class SliceDataset implements Dataset {
  readonly info: DatasetInfo;
  readonly length: number;
  /** 'all': (case, slice) of each item. */
  private readonly items: [number, number][] = [];
  private readonly fgSlices: number[][];
  private readonly draws: Uint32Array;
  private readonly context: number;

  constructor(
    readonly cases: readonly SegCase[],
    private readonly o: SliceDatasetOptions,
  ) {
    const [ph, pw] = o.patch;
    this.context = o.context ?? 0;
    for (const c of cases) {
      if (c.height > ph || c.width > pw) {
        throw new PrivmedError(`${c.imagePath}: slices of ${c.height}x${c.width} do not fit the patch ${ph}x${pw}`, { hint: 'raise segmentation.patch (multiples of 2^depth)' });
      }
    }
    this.info = { height: ph, width: pw, channels: 2 * this.context + 1, classes: o.classes };
    this.fgSlices = cases.map((c) => {
      const hw = c.height * c.width;
      const out: number[] = [];
      for (let s = 0; s < c.depth; s++) if (c.mask.subarray(s * hw, (s + 1) * hw).some((v) => v > 0)) out.push(s);
      return out;
    });
    if (o.mode === 'all') cases.forEach((c, ci) => { for (let s = 0; s < c.depth; s++) this.items.push([ci, s]); });
    this.length = o.mode === 'all' ? this.items.length : cases.length * (o.repeat ?? 1);
    this.draws = new Uint32Array(cases.length * (o.repeat ?? 1));
  }

  /** 1 when the item's case (sample mode) or slice (all mode) holds foreground. */
  label(i: number): number {
    if (this.o.mode === 'all') {
      const [ci, s] = this.items[i]!;
      return this.fgSlices[ci]!.includes(s) ? 1 : 0;
    }
    return this.fgSlices[i % this.cases.length]!.length > 0 ? 1 : 0;
  }

  describe(i: number): string {
    const ci = this.o.mode === 'all' ? this.items[i]![0] : i % this.cases.length;
    return this.cases[ci]!.imagePath;
  }

  async get(i: number): Promise<Sample> {
    if (this.o.mode === 'all') {
      const [ci, s] = this.items[i]!;
      return this.slice(ci, s);
    }
    const ci = i % this.cases.length;
    // A reproducible stream per item: the n-th read of item i draws the same slice in every run.
    const rng = new Rng(((this.o.seed ?? 0) * 2654435761 + i * 40503 + this.draws[i]!++ * 97) >>> 0);
    const c = this.cases[ci]!;
    const fg = this.fgSlices[ci]!;
    const s = fg.length > 0 && rng.next() < (this.o.foreground ?? 0.5) ? fg[rng.int(fg.length)]! : rng.int(c.depth);
    return this.slice(ci, s);
  }

  /** The padded slice s of case ci (with its context channels), its mask, and the case as group. */
  slice(ci: number, s: number): Sample {
    const c = this.cases[ci]!;
    const [ph, pw] = this.o.patch;
    const ch = 2 * this.context + 1;
    const top = Math.floor((ph - c.height) / 2);
    const left = Math.floor((pw - c.width) / 2);
    const image = new Float32Array(ph * pw * ch);
    const mask = new Int32Array(ph * pw);
    const hw = c.height * c.width;
    for (let k = 0; k < ch; k++) {
      const src = Math.min(c.depth - 1, Math.max(0, s + k - this.context));
      for (let r = 0; r < c.height; r++) {
        for (let q = 0; q < c.width; q++) image[((top + r) * pw + left + q) * ch + k] = c.image[src * hw + r * c.width + q]!;
      }
    }
    for (let r = 0; r < c.height; r++) for (let q = 0; q < c.width; q++) mask[(top + r) * pw + left + q] = c.mask[s * hw + r * c.width + q]!;
    return { image, label: this.fgSlices[ci]!.includes(s) ? 1 : 0, mask, group: ci };
  }

  /** Crops a predicted patch-sized slice back to case ci's slice size. */
  unpad(ci: number, patchValues: ArrayLike<number>): Int32Array {
    const c = this.cases[ci]!;
    const [ph, pw] = this.o.patch;
    const top = Math.floor((ph - c.height) / 2);
    const left = Math.floor((pw - c.width) / 2);
    const out = new Int32Array(c.height * c.width);
    for (let r = 0; r < c.height; r++) for (let q = 0; q < c.width; q++) out[r * c.width + q] = patchValues[(top + r) * pw + left + q]!;
    return out;
  }
}

/** The smallest sides that hold every case's slices and are multiples of 2^depth. */
export function patchFor(cases: readonly SegCase[], depth: number): [number, number] {
  const m = 2 ** depth;
  const up = (v: number) => Math.ceil(v / m) * m;
  return [up(Math.max(...cases.map((c) => c.height))), up(Math.max(...cases.map((c) => c.width)))];
}
