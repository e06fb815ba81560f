/**
 * The dataset abstraction every reader plugs into (MedMNIST npz, DICOM, NIfTI,
 * image folders). Items are decoded lazily by index; batching is seeded.
 * Images are float32, channels last (HWC); a batch is NHWC.
 */
import { Rng } from '../common/rng.js';
import { PrivmedError } from '../common/errors.js';

export interface Sample {
  image: Float32Array; // HWC
  label: number;
  /** Segmentation: the class of each pixel (HW), same grid as the image. */
  mask?: Int32Array;
  /** Segmentation: the case (volume) the sample is a slice of, for per-case metrics. */
  group?: number;
}

export interface DatasetInfo {
  height: number;
  width: number;
  channels: number;
  /** Class names; the label is the index into this array. */
  classes: string[];
}

export interface Dataset {
  readonly info: DatasetInfo;
  readonly length: number;
  /** The label of item i without decoding its image (for splits, weights, sampling). */
  label(i: number): number;
  /** Decode item i. May throw a FileFormatError naming the file. */
  get(i: number): Promise<Sample>;
  /** A human-readable name of item i (file path, or `train[12]`), for error messages. */
  describe?(i: number): string;
}

export interface Batch {
  x: Float32Array; // NHWC
  y: Int32Array;
  size: number;
  indices: Int32Array;
  /** Segmentation: per-pixel classes, NHW (present when the samples carry masks). */
  masks?: Int32Array;
  /** Segmentation: each sample's case. */
  groups?: Int32Array;
}

export type Transform = (sample: Sample, rng: Rng) => Sample;

/** An in-memory dataset, e.g. from a MedMNIST npz split. */
export class ArrayDataset implements Dataset {
  readonly length: number;
  private readonly pixels: number;

  constructor(
    readonly info: DatasetInfo,
    private readonly images: Float32Array,
    private readonly labels: Int32Array,
    private readonly name = 'item',
  ) {
    this.pixels = info.height * info.width * info.channels;
    this.length = labels.length;
    if (images.length !== this.length * this.pixels) {
      throw new PrivmedError(
        `${name}: ${images.length} pixel values do not match ${this.length} images of ${info.height}x${info.width}x${info.channels}`,
      );
    }
  }

  label(i: number): number {
    return this.labels[i]!;
  }

  async get(i: number): Promise<Sample> {
    return { image: this.images.subarray(i * this.pixels, (i + 1) * this.pixels), label: this.labels[i]! };
  }

  describe(i: number): string {
    return `${this.name}[${i}]`;
  }
}

/** A view of some items of another dataset. */
export class SubsetDataset implements Dataset {
  readonly length: number;
  constructor(
    private readonly base: Dataset,
    private readonly indices: ArrayLike<number>,
  ) {
    this.length = indices.length;
  }
  get info(): DatasetInfo {
    return this.base.info;
  }
  label(i: number): number {
    return this.base.label(this.indices[i]!);
  }
  get(i: number): Promise<Sample> {
    return this.base.get(this.indices[i]!);
  }
  describe(i: number): string {
    return this.base.describe?.(this.indices[i]!) ?? `item ${this.indices[i]}`;
  }
}

/** Applies a per-item transform; the RNG it gets depends on (seed, epoch, index) only. */
export class TransformedDataset implements Dataset {
  epoch = 0;
  constructor(
    /** The dataset viewed (segmentation evaluation finds its windows through it). */
    readonly base: Dataset,
    private readonly transform: Transform,
    private readonly seed: number,
    readonly info: DatasetInfo = base.info,
  ) {}
  get length(): number {
    return this.base.length;
  }
  label(i: number): number {
    return this.base.label(i);
  }
  async get(i: number): Promise<Sample> {
    return this.getView(i, 0);
  }
  /** The view-th random transform of item i this epoch (view 0 is get(i)): augmentation multiplicity. */
  async getView(i: number, view: number): Promise<Sample> {
    const rng = new Rng((this.seed * 1000003 + this.epoch * 7919 + i + view * 104729) >>> 0);
    return this.transform(await this.base.get(i), rng);
  }
  describe(i: number): string {
    return this.base.describe?.(i) ?? `item ${i}`;
  }
}

/** All labels of a dataset, without decoding images. */
export function labelsOf(ds: Dataset): Int32Array {
  const out = new Int32Array(ds.length);
  for (let i = 0; i < ds.length; i++) out[i] = ds.label(i);
  return out;
}

export function classCounts(ds: Dataset): number[] {
  const counts = new Array<number>(ds.info.classes.length).fill(0);
  for (let i = 0; i < ds.length; i++) counts[ds.label(i)]!++;
  return counts;
}

export interface BatchOptions {
  batchSize: number;
  shuffle?: boolean;
  seed?: number;
  dropLast?: boolean;
  /** Items to skip at the start of the (shuffled) order, to resume mid-epoch. */
  skip?: number;
  /** Throw on the first unreadable item instead of skipping it. */
  strict?: boolean;
  /** Called for each item skipped because it could not be read. */
  onSkip?: (index: number, error: Error) => void;
}

/** The order in which an epoch visits items: a seeded permutation, or 0..n-1. */
export function epochOrder(n: number, shuffle: boolean, seed: number): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (shuffle) new Rng(seed).shuffle(order);
  return order;
}

/**
 * Reads the given items into one NHWC batch (possibly smaller, even empty):
 * an unreadable item is left out and reported unless strict.
 */
export async function loadBatch(ds: Dataset, indices: ArrayLike<number>, opts: Pick<BatchOptions, 'strict' | 'onSkip'> = {}): Promise<Batch> {
  const { height, width, channels } = ds.info;
  const pixels = height * width * channels;
  const x = new Float32Array(indices.length * pixels);
  const y = new Int32Array(indices.length);
  const kept = new Int32Array(indices.length);
  let masks: Int32Array | undefined;
  let groups: Int32Array | undefined;
  const maskSize = height * width;
  let n = 0;
  for (let k = 0; k < indices.length; k++) {
    const idx = indices[k]!;
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
    if (s.mask) {
      if (s.mask.length !== maskSize) throw new PrivmedError(`${ds.describe?.(idx) ?? `item ${idx}`}: mask has ${s.mask.length} values, expected ${height}x${width}`);
      masks ??= new Int32Array(indices.length * maskSize);
      groups ??= new Int32Array(indices.length);
      masks.set(s.mask, n * maskSize);
      groups[n] = s.group ?? idx;
    }
    x.set(s.image, n * pixels);
    y[n] = s.label;
    kept[n] = idx;
    n++;
  }
  const seg = masks && groups ? { masks: masks.slice(0, n * maskSize), groups: groups.slice(0, n) } : {};
  return n === indices.length ? { x, y, indices: kept, size: n, ...seg } : { x: x.slice(0, n * pixels), y: y.slice(0, n), indices: kept.slice(0, n), size: n, ...seg };
}

/** Iterates a dataset in NHWC batches; unreadable items are skipped unless strict. */
export async function* batches(ds: Dataset, opts: BatchOptions): AsyncGenerator<Batch> {
  const { batchSize } = opts;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new PrivmedError(`batch size must be a positive integer, got ${batchSize}`);
  const order = epochOrder(ds.length, opts.shuffle ?? false, opts.seed ?? 0);
  for (let pos = opts.skip ?? 0; pos < order.length; pos += batchSize) {
    const end = Math.min(pos + batchSize, order.length);
    if (end - pos < batchSize && opts.dropLast) return;
    const batch = await loadBatch(ds, order.subarray(pos, end), opts);
    if (batch.size > 0) yield batch;
  }
}
