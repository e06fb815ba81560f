/**
 * Segmentation metrics on label volumes (pure): Dice and IoU per class, and
 * the 95% Hausdorff distance between the class's surfaces. A 2-D image is a
 * volume of depth 1. Volumes are z-fastest-last: index = (z * H + y) * W + x.
 */

export interface VolumeShape {
  depth: number;
  height: number;
  width: number;
  /** Voxel size along z, y, x (default 1 each). */
  spacing?: readonly [number, number, number];
}

export interface ClassOverlap {
  /** Voxels of the class in both, in the prediction, in the truth. */
  both: number;
  pred: number;
  truth: number;
}

/** Per-class voxel counts for classes 0..k-1. */
export function overlaps(pred: ArrayLike<number>, truth: ArrayLike<number>, k: number): ClassOverlap[] {
  if (pred.length !== truth.length) throw new Error(`overlaps: prediction has ${pred.length} voxels, truth ${truth.length}`);
  const out = Array.from({ length: k }, () => ({ both: 0, pred: 0, truth: 0 }));
  for (let i = 0; i < pred.length; i++) {
    const p = pred[i]!;
    const t = truth[i]!;
    if (p < k) out[p]!.pred++;
    if (t < k) out[t]!.truth++;
    if (p === t && p < k) out[p]!.both++;
  }
  return out;
}

/** Dice 2|A∩B|/(|A|+|B|); 1 when the class is absent from both (nothing to find, nothing found). */
export function dice(o: ClassOverlap): number {
  return o.pred + o.truth === 0 ? 1 : (2 * o.both) / (o.pred + o.truth);
}

export function iou(o: ClassOverlap): number {
  const union = o.pred + o.truth - o.both;
  return union === 0 ? 1 : o.both / union;
}

/** Voxels of the class with a 6-neighbour (4 in 2-D) outside it or at the volume's edge. */
function surface(labels: ArrayLike<number>, c: number, s: VolumeShape): number[] {
  const { depth: d, height: h, width: w } = s;
  const out: number[] = [];
  for (let z = 0; z < d; z++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = (z * h + y) * w + x;
        if (labels[i] !== c) continue;
        const edge =
          x === 0 || x === w - 1 || y === 0 || y === h - 1 ||
          labels[i - 1] !== c || labels[i + 1] !== c || labels[i - w] !== c || labels[i + w] !== c ||
          (d > 1 && (z === 0 || z === d - 1 || labels[i - h * w] !== c || labels[i + h * w] !== c));
        if (edge) out.push(i);
      }
    }
  }
  return out;
}

/** For each point of `from`, the distance to the nearest point of `to` (brute force: surfaces are small). */
function nearest(from: number[], to: number[], s: VolumeShape): Float64Array {
  const [sz, sy, sx] = s.spacing ?? [1, 1, 1];
  const hw = s.height * s.width;
  const tz = to.map((i) => Math.floor(i / hw) * sz);
  const ty = to.map((i) => Math.floor((i % hw) / s.width) * sy);
  const tx = to.map((i) => (i % s.width) * sx);
  const out = new Float64Array(from.length);
  from.forEach((i, n) => {
    const z = Math.floor(i / hw) * sz;
    const y = Math.floor((i % hw) / s.width) * sy;
    const x = (i % s.width) * sx;
    let best = Infinity;
    for (let j = 0; j < to.length; j++) {
      const dz = z - tz[j]!;
      const dy = y - ty[j]!;
      const dx = x - tx[j]!;
      const d2 = dz * dz + dy * dy + dx * dx;
      if (d2 < best) best = d2;
    }
    out[n] = Math.sqrt(best);
  });
  return out;
}

function percentile(values: Float64Array, q: number): number {
  const sorted = Float64Array.from(values).sort();
  // The same rule as numpy's default (linear interpolation between order statistics).
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/**
 * 95% Hausdorff distance of class c: the 95th percentile of the surface
 * distances both ways (pooled, as MedPy's hd95 takes the max of the two
 * directed percentiles). NaN when either side has no voxel of the class.
 */
export function hausdorff95(pred: ArrayLike<number>, truth: ArrayLike<number>, c: number, s: VolumeShape): number {
  const a = surface(pred, c, s);
  const b = surface(truth, c, s);
  if (a.length === 0 || b.length === 0) return NaN;
  return Math.max(percentile(nearest(a, b, s), 0.95), percentile(nearest(b, a, s), 0.95));
}

export interface CaseScores {
  /** Per foreground class 1..k-1. */
  dice: number[];
  iou: number[];
  hd95: number[];
}

/** Dice, IoU and HD95 of each foreground class of one case. */
export function scoreCase(pred: ArrayLike<number>, truth: ArrayLike<number>, k: number, s: VolumeShape, withHd95 = true): CaseScores {
  const o = overlaps(pred, truth, k).slice(1);
  return {
    dice: o.map(dice),
    iou: o.map(iou),
    hd95: o.map((_, i) => (withHd95 ? hausdorff95(pred, truth, i + 1, s) : NaN)),
  };
}

export interface SegmentationMetrics {
  /** Cases scored. */
  n: number;
  loss?: number;
  /** Per foreground class, the mean over cases. */
  dice: number[];
  iou: number[];
  /** Mean over the cases where both masks hold the class (NaN when none do). */
  hd95: number[];
  meanDice: number;
  meanIou: number;
}

const meanOf = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

/** Per-class means over cases (nnU-Net's convention: Dice per case, then averaged). */
export function summariseCases(cases: readonly CaseScores[], loss?: number): SegmentationMetrics {
  const k = cases[0]?.dice.length ?? 0;
  const per = (key: keyof CaseScores, c: number) => meanOf(cases.map((s) => s[key][c]!).filter((v) => Number.isFinite(v)));
  const diceC = Array.from({ length: k }, (_, c) => per('dice', c));
  const iouC = Array.from({ length: k }, (_, c) => per('iou', c));
  return {
    n: cases.length,
    ...(loss !== undefined ? { loss } : {}),
    dice: diceC,
    iou: iouC,
    hd95: Array.from({ length: k }, (_, c) => per('hd95', c)),
    meanDice: meanOf(diceC),
    meanIou: meanOf(iouC),
  };
}
