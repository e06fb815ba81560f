/**
 * Per-sample gradient clipping and the clipped sum, in float64.
 *
 * 'flat' bounds the L2 norm of a sample's whole gradient by C. 'per-layer'
 * bounds each layer's part by its own C_l; the sum's sensitivity is then
 * sqrt(sum C_l^2), which is what the noise is scaled to (as in Opacus).
 *
 * Norms, scaling and the sum are computed in float64 from the float32
 * gradients, so every clipped sample has norm <= C to within 2^-50 and the sum
 * carries no float32 rounding that could depend on the other samples.
 */
import { PrivmedError } from '../../common/errors.js';
import { nativeKernels } from '../../engine/native-addon.js';

export type ClipSpec =
  | { readonly kind: 'flat'; readonly norm: number }
  /** One bound C for the whole gradient, split evenly: every layer gets C / sqrt(layers). */
  | { readonly kind: 'per-layer'; readonly norm: number }
  /** An explicit bound for every layer with trainable weights, by layer name. */
  | { readonly kind: 'per-layer'; readonly norms: Readonly<Record<string, number>> };

/** A trainable variable and the layer it belongs to. */
export interface ClipVariable {
  readonly name: string;
  readonly layer: string;
  readonly size: number;
}

export interface ClipPlan {
  /** Clipping group of each variable. */
  readonly groupOf: readonly number[];
  /** Bound of each group. */
  readonly bounds: readonly number[];
  readonly groupNames: readonly string[];
  /** L2 sensitivity of the sum: sqrt(sum of squared bounds). */
  readonly sensitivity: number;
}

export function planClipping(spec: ClipSpec, variables: readonly ClipVariable[]): ClipPlan {
  if (variables.length === 0) throw new PrivmedError('DP-SGD: the model has no trainable weights');
  if (spec.kind === 'flat') {
    checkBound(spec.norm, 'clipping norm');
    return { groupOf: variables.map(() => 0), bounds: [spec.norm], groupNames: ['(all layers)'], sensitivity: spec.norm };
  }
  const layers = [...new Set(variables.map((v) => v.layer))];
  const groupOf = variables.map((v) => layers.indexOf(v.layer));
  let bounds: number[];
  if ('norms' in spec) {
    const missing = layers.filter((l) => !(l in spec.norms));
    if (missing.length) {
      throw new PrivmedError(`per-layer clipping: no bound for layer${missing.length > 1 ? 's' : ''} ${missing.map((l) => `'${l}'`).join(', ')}`, {
        hint: `give a bound for every layer with trainable weights: ${layers.join(', ')}`,
      });
    }
    const unknown = Object.keys(spec.norms).filter((l) => !layers.includes(l));
    if (unknown.length) {
      throw new PrivmedError(`per-layer clipping: the model has no trainable layer ${unknown.map((l) => `'${l}'`).join(', ')}`, {
        hint: `layers with trainable weights: ${layers.join(', ')}`,
      });
    }
    bounds = layers.map((l) => checkBound(spec.norms[l]!, `clipping bound of layer '${l}'`));
  } else {
    checkBound(spec.norm, 'clipping norm');
    bounds = layers.map(() => spec.norm / Math.sqrt(layers.length));
  }
  return { groupOf, bounds, groupNames: layers, sensitivity: Math.sqrt(bounds.reduce((s, b) => s + b * b, 0)) };
}

function checkBound(bound: number, what: string): number {
  if (!(bound > 0 && Number.isFinite(bound))) throw new PrivmedError(`DP-SGD: ${what} must be a finite number > 0, got ${bound}`);
  return bound;
}

/**
 * A dense kernel's per-sample gradients kept factored (ghost clipping, Goodfellow
 * 2015; Li et al. 2022): sample b's gradient is the outer product of a[b] ([n],
 * the layer input) and d[b] ([u], the output gradient), an [n, u] matrix in
 * row-major order that is never materialised. Its squared norm is
 * |a_b|^2 |d_b|^2, and its clipped contribution (s_b a_bi) d_bj, in float64.
 */
export interface OuterRows {
  readonly a: Float32Array;
  readonly d: Float32Array;
  readonly n: number;
  readonly u: number;
}

/** One variable's gradients for the rows of a batch: materialised ([rows, size]) or factored. */
export type SampleRows = Float32Array | OuterRows;

/** Where per-sample gradients go, one sample at a time. */
export interface GradientSink {
  /** One sample: grads[v] holds its gradient for variable v at [row * size, (row + 1) * size). */
  add(grads: readonly Float32Array[], row?: number): void;
  /** Rows 0 .. count - 1 at once, as count calls of add, some variables possibly factored (a sink may do it faster). */
  addBatch?(grads: readonly SampleRows[], count: number): void;
}

function squaredNorm(g: SampleRows, size: number, row: number): number {
  let s = 0;
  if (g instanceof Float32Array) {
    for (let i = row * size, end = i + size; i < end; i++) s += g[i]! * g[i]!;
    return s;
  }
  let t = 0;
  for (let i = row * g.n, end = i + g.n; i < end; i++) s += g.a[i]! * g.a[i]!;
  for (let j = row * g.u, end = j + g.u; j < end; j++) t += g.d[j]! * g.d[j]!;
  return s * t;
}

function addScaled(sum: Float64Array, g: SampleRows, scale: number, row: number): void {
  if (g instanceof Float32Array) {
    const start = row * sum.length;
    for (let i = 0; i < sum.length; i++) sum[i]! += scale * g[start + i]!;
    return;
  }
  const { a, d, n, u } = g;
  for (let i = 0; i < n; i++) {
    const sa = scale * a[row * n + i]!;
    for (let j = 0, k = i * u, dj = row * u; j < u; j++) sum[k + j]! += sa * d[dj + j]!;
  }
}

export class ClippedSum implements GradientSink {
  readonly sums: Float64Array[];
  /** Samples added (including dropped ones). */
  samples = 0;
  /** Samples whose gradient was not finite; they contribute nothing (a choice that depends on that sample alone). */
  dropped = 0;
  private readonly groupSquares: Float64Array;
  private readonly scales: Float64Array;

  constructor(
    readonly sizes: readonly number[],
    readonly plan: ClipPlan,
  ) {
    if (sizes.length !== plan.groupOf.length) throw new Error(`ClippedSum: ${sizes.length} variables but a clipping plan for ${plan.groupOf.length}`);
    this.sums = sizes.map((n) => new Float64Array(n));
    this.groupSquares = new Float64Array(plan.bounds.length);
    this.scales = new Float64Array(plan.bounds.length);
  }

  /** Adds one sample: grads[v] holds its gradient for variable v at [row * size, (row + 1) * size), or row `row` of its factors. */
  add(grads: readonly SampleRows[], row = 0): void {
    this.samples++;
    const { groupOf, bounds } = this.plan;
    const squares = this.groupSquares.fill(0);
    for (let v = 0; v < grads.length; v++) squares[groupOf[v]!]! += squaredNorm(grads[v]!, this.sizes[v]!, row);
    for (let k = 0; k < bounds.length; k++) {
      const norm = Math.sqrt(squares[k]!);
      if (!Number.isFinite(norm)) {
        this.dropped++;
        return;
      }
      this.scales[k] = norm > bounds[k]! ? bounds[k]! / norm : 1;
    }
    for (let v = 0; v < grads.length; v++) addScaled(this.sums[v]!, grads[v]!, this.scales[groupOf[v]!]!, row);
  }

  /**
   * Rows 0 .. count - 1, as count calls of add: on the native add-on when the
   * native engine is active (native/clip.c, the same operations in the same
   * order, multi-threaded), else in JavaScript.
   */
  addBatch(grads: readonly SampleRows[], count: number): void {
    const addon = nativeKernels();
    if (addon !== null && typeof addon.clipSum === 'function' && count > 0 && grads.length === this.sums.length) {
      const kept = new Uint8Array(count);
      const group = Int32Array.from(this.plan.groupOf), bounds = Float64Array.from(this.plan.bounds);
      const rows = grads.map((g) => (g instanceof Float32Array ? g : ([g.a, g.d] as const)));
      if (addon.clipSum(rows, group, bounds, count, this.sums, kept) === 0) {
        this.samples += count;
        for (const k of kept) if (k === 0) this.dropped++;
        return;
      }
    }
    for (let b = 0; b < count; b++) this.add(grads, b);
  }

  /** All sums as one vector, variable after variable. */
  flat(): Float64Array {
    const out = new Float64Array(this.sizes.reduce((a, b) => a + b, 0));
    let offset = 0;
    for (const s of this.sums) {
      out.set(s, offset);
      offset += s.length;
    }
    return out;
  }
}
