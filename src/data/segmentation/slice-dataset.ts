/**
 * 2-D (or 2.5-D) windows of segmentation cases as a Dataset the training core
 * batches. Every sample is one patch whose sides are multiples of 2^depth,
 * so a U-Net sees one input size: a slice smaller than the patch is padded
 * (centred, zeros = the case mean after z-scoring; background label), a
 * larger one is covered by overlapping windows (sliding-window inference)
 * or cropped around a drawn pixel (training). With `context` c each sample
 * has 2c+1 channels: the slice and its c neighbours on either side (edge
 * slices repeat), a cheap 2.5-D view of the volume.
 *
 * Two modes:
 *  - 'sample' (training): item i is case i mod n, and each read draws one
 *    slice of it, a slice with foreground with probability `foreground`
 *    (and then a window holding a drawn foreground pixel). One item per case
 *    (repeat 1) makes the case the unit DP-SGD samples and protects;
 *    `repeat` r gives r draws per case per epoch.
 *  - 'all' (evaluation, prediction): every window of every slice of every
 *    case in order, each sample carrying its case as `group`; `window(i)`
 *    says where item i lies, so predictions can be stitched back per case.
 */
import { Rng } from '../../common/rng.js';
import type { Dataset, DatasetInfo, Sample } from '../dataset.js';
import type { SegCase } from './seg-cases.js';

export interface SliceDatasetOptions {
  mode: 'sample' | 'all';
  /** Patch height and width (multiples of 2^depth). */
  patch: [number, number];
  classes: string[];
  context?: number;
  /** 'sample': probability of drawing a slice that holds foreground (else uniform over slices). */
  foreground?: number;
  repeat?: number;
  seed?: number;
  /** 'all': overlap of neighbouring windows on slices larger than the patch (default 0.5). */
  overlap?: number;
}

/** Where a sample lies: case, slice, and the slice row/column of the patch's top-left pixel (negative when padded). */
export interface SliceWindow {
  ci: number;
  s: number;
  y0: number;
  x0: number;
}

/**
 * Window origins along one side of `size` pixels: one centred (padded) window
 * when the side fits the patch, else windows every patch * (1 - overlap)
 * pixels with the last one flush with the end.
 */
export function windowStarts(size: number, patch: number, overlap = 0.5): number[] {
  if (size <= patch) return [0 - Math.floor((patch - size) / 2)];
  const step = Math.max(1, Math.floor(patch * (1 - overlap)));
  const out: number[] = [];
  for (let o = 0; o + patch < size; o += step) out.push(o);
  out.push(size - patch);
  return out;
}

export class SliceDataset implements Dataset {
  readonly info: DatasetInfo;
  readonly length: number;
  /** 'all': where each item lies. */
  private readonly items: SliceWindow[] = [];
  private readonly fgSlices: number[][];
  private readonly draws: Uint32Array;
  private readonly context: number;

  constructor(
    readonly cases: readonly SegCase[],
    private readonly o: SliceDatasetOptions,
  ) {
    const [ph, pw] = o.patch;
    this.context = o.context ?? 0;
    this.info = { height: ph, width: pw, channels: 2 * this.context + 1, classes: o.classes };
    this.fgSlices = cases.map((c) => {
      const hw = c.height * c.width;
      const out: number[] = [];
      for (let s = 0; s < c.depth; s++) if (c.mask.subarray(s * hw, (s + 1) * hw).some((v) => v > 0)) out.push(s);
      return out;
    });
    if (o.mode === 'all') {
      cases.forEach((c, ci) => {
        const ys = windowStarts(c.height, ph, o.overlap);
        const xs = windowStarts(c.width, pw, o.overlap);
        for (let s = 0; s < c.depth; s++) for (const y0 of ys) for (const x0 of xs) this.items.push({ ci, s, y0, x0 });
      });
    }
    this.length = o.mode === 'all' ? this.items.length : cases.length * (o.repeat ?? 1);
    this.draws = new Uint32Array(cases.length * (o.repeat ?? 1));
  }

  /** 'all' mode: where item i lies. */
  window(i: number): SliceWindow {
    const w = this.items[i];
    if (!w) throw new RangeError(`window ${i}: the dataset has ${this.items.length} windows (mode ${this.o.mode})`);
    return w;
  }

  /** 1 when the item's case (sample mode) or slice (all mode) holds foreground. */
  label(i: number): number {
    if (this.o.mode === 'all') {
      const { ci, s } = this.items[i]!;
      return this.fgSlices[ci]!.includes(s) ? 1 : 0;
    }
    return this.fgSlices[i % this.cases.length]!.length > 0 ? 1 : 0;
  }

  describe(i: number): string {
    const ci = this.o.mode === 'all' ? this.items[i]!.ci : i % this.cases.length;
    return this.cases[ci]!.imagePath;
  }

  async get(i: number): Promise<Sample> {
    if (this.o.mode === 'all') {
      const { ci, s, y0, x0 } = this.items[i]!;
      return this.crop(ci, s, y0, x0);
    }
    const ci = i % this.cases.length;
    // A reproducible stream per item: the n-th read of item i draws the same slice in every run.
    const rng = new Rng(((this.o.seed ?? 0) * 2654435761 + i * 40503 + this.draws[i]!++ * 97) >>> 0);
    const c = this.cases[ci]!;
    const fg = this.fgSlices[ci]!;
    const wantFg = fg.length > 0 && rng.next() < (this.o.foreground ?? 0.5);
    const s = wantFg ? fg[rng.int(fg.length)]! : rng.int(c.depth);
    const [ph, pw] = this.o.patch;
    if (c.height <= ph && c.width <= pw) return this.slice(ci, s);
    // A slice larger than the patch: a random window, around a random foreground pixel when one was asked for.
    const origin = (size: number, patch: number, at: number | null) => {
      if (size <= patch) return -Math.floor((patch - size) / 2);
      if (at === null) return rng.int(size - patch + 1);
      return Math.min(size - patch, Math.max(0, at - rng.int(patch)));
    };
    let py: number | null = null;
    let px: number | null = null;
    if (wantFg) {
      const hw = c.height * c.width;
      const fgPixels: number[] = [];
      for (let j = 0; j < hw; j++) if (c.mask[s * hw + j]! > 0) fgPixels.push(j);
      const j = fgPixels[rng.int(fgPixels.length)]!;
      py = Math.floor(j / c.width);
      px = j % c.width;
    }
    return this.crop(ci, s, origin(c.height, ph, py), origin(c.width, pw, px));
  }

  /** The centred patch of slice s of case ci (padded when the slice is smaller). */
  slice(ci: number, s: number): Sample {
    const c = this.cases[ci]!;
    const [ph, pw] = this.o.patch;
    return this.crop(ci, s, -Math.floor((ph - c.height) / 2), -Math.floor((pw - c.width) / 2));
  }

  /** The patch of slice s of case ci whose top-left pixel is slice pixel (y0, x0): image (with context channels), mask, case as group. */
  crop(ci: number, s: number, y0: number, x0: number): Sample {
    const c = this.cases[ci]!;
    const [ph, pw] = this.o.patch;
    const ch = 2 * this.context + 1;
    const image = new Float32Array(ph * pw * ch);
    const mask = new Int32Array(ph * pw);
    const hw = c.height * c.width;
    const r0 = Math.max(0, -y0);
    const r1 = Math.min(ph, c.height - y0);
    const q0 = Math.max(0, -x0);
    const q1 = Math.min(pw, c.width - x0);
    for (let k = 0; k < ch; k++) {
      const src = Math.min(c.depth - 1, Math.max(0, s + k - this.context)) * hw;
      for (let r = r0; r < r1; r++) {
        const row = src + (r + y0) * c.width + x0;
        for (let q = q0; q < q1; q++) image[(r * pw + q) * ch + k] = c.image[row + q]!;
      }
    }
    for (let r = r0; r < r1; r++) {
      const row = s * hw + (r + y0) * c.width + x0;
      for (let q = q0; q < q1; q++) mask[r * pw + q] = c.mask[row + q]!;
    }
    return { image, label: this.fgSlices[ci]!.includes(s) ? 1 : 0, mask, group: ci };
  }

  /** Crops a predicted centred patch back to case ci's slice size (slices no larger than the patch). */
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
