import { PrivmedError } from '../common/errors.js';
import { ComposingAccountant, type EpsilonReport } from './accountant.js';
import { mergeEvents, type MechanismEvent } from './events.js';
import { PoissonGaussianPrivacyLoss } from './privacy-loss.js';
import { composeLosses, discretise, epsilonForDelta } from './prv-discrete.js';
import { historyRdp, DEFAULT_RDP_ORDERS } from './rdp.js';
import { rdpToDp } from './rdp-conversion.js';

export interface PrvOptions {
  /** Half-width of the guaranteed epsilon interval; default 0.01 (as Opacus). */
  readonly epsError?: number;
  /** Delta slack of the guarantee; default delta / 1000 (as Opacus). */
  readonly deltaError?: number;
  /** Largest grid (points) the accountant may allocate; default 2^23 (~0.5 GB while composing). */
  readonly maxGridSize?: number;
}

export interface PrvResult {
  readonly estimate: number;
  readonly lower: number;
  readonly upper: number;
  readonly epsError: number;
  readonly deltaError: number;
  readonly gridSize: number;
  readonly mesh: number;
}

/**
 * The PRV accountant's (epsilon, delta) for a Poisson-sampled history, after
 * Gopi, Lee & Wutschitz 2021 (the algorithm of Microsoft's prv_accountant and
 * Opacus's PRVAccountant, implemented here from the paper):
 *
 * 1. Grid half-width L: the loss of the whole history exceeds its RDP epsilon at
 *    deltaError/4 with probability below that, and one step's loss exceeds its
 *    RDP epsilon at deltaError/(8 k) likewise; L is the largest of these (and
 *    epsError) plus 3 -- the paper's Remark 5.6 choice as prv_accountant makes it.
 * 2. Mesh: epsError / sqrt(k log(12/deltaError) / 2) for k steps in all (Thm 5.5),
 *    on grid points that are multiples of the mesh, as prv_accountant places them
 *    (the point estimate depends on the mesh at the 1e-5 level for small
 *    epsilons, so keeping the same mesh reproduces its published values); the
 *    grid is widened beyond L to a power-of-two size for the FFT.
 * 3. Each distinct mechanism's loss is discretised (mean-preserving) and all are
 *    composed with one product of Fourier transforms.
 * 4. The discrete loss gives epsilon exactly; the error analysis says the true
 *    epsilon lies in [eps(delta + deltaError) - epsError, eps(delta - deltaError) + epsError].
 */
export function prvEpsilon(events: readonly MechanismEvent[], delta: number, options: PrvOptions = {}): PrvResult {
  const epsError = options.epsError ?? 0.01;
  const deltaError = options.deltaError ?? delta / 1000;
  const maxGridSize = options.maxGridSize ?? 2 ** 23;
  if (!(epsError > 0)) throw new PrivmedError(`PRV epsError must be > 0, got ${epsError}`);
  if (!(deltaError > 0 && deltaError < delta)) {
    throw new PrivmedError(`PRV deltaError must be in (0, delta=${delta}), got ${deltaError}`);
  }
  const merged = mergeEvents(events);
  const uniform = merged.find((e) => e.sampling !== 'poisson');
  if (uniform) {
    throw new PrivmedError(`the PRV accountant supports Poisson sampling only, got a '${uniform.sampling}' sampling event`, {
      hint: "use the rdp accountant for fixed-size (uniform) batches",
    });
  }
  const steps = merged.reduce((n, e) => n + e.steps, 0);
  if (steps === 0) return { estimate: 0, lower: 0, upper: 0, epsError, deltaError, gridSize: 0, mesh: 0 };

  const halfWidth = safeHalfWidth(merged, steps, epsError, deltaError);
  // The grid reaches up to ~2 halfWidth and exp(t) must stay finite there.
  if (halfWidth > 300) {
    throw new PrivmedError(`epsilon is far too large for the PRV accountant (its loss grid would need to reach ${halfWidth.toFixed(0)})`, {
      hint: 'use the rdp accountant; at this level the guarantee is void anyway',
    });
  }
  const mesh = epsError / Math.sqrt((steps * Math.log(12 / deltaError)) / 2);
  // Grid t_i = (i - size/2) mesh, a power of two long, covering [-halfWidth, halfWidth].
  const size = 2 ** Math.ceil(Math.log2(2 * (Math.ceil(halfWidth / mesh) + 1)));
  if (size > maxGridSize) {
    throw new PrivmedError(`the PRV accountant would need a grid of ${size} points (the limit is ${maxGridSize}) for epsError ${epsError}`, {
      hint: 'raise epsError (e.g. 0.05) or use the rdp accountant',
    });
  }
  if (Number.EPSILON * size > delta - deltaError) {
    throw new PrivmedError(`delta ${delta} is too small for the PRV accountant's floating-point precision at ${size} grid points`, {
      hint: 'use the rdp accountant for such small deltas',
    });
  }
  const losses = merged.map((e) => discretise(new PoissonGaussianPrivacyLoss(e.sampleRate, e.noiseMultiplier), size, mesh));
  const composed = composeLosses(
    losses,
    merged.map((e) => e.steps),
  );
  const estimate = epsilonForDelta(composed, delta);
  return {
    estimate,
    lower: Math.max(0, epsilonForDelta(composed, delta + deltaError) - epsError),
    upper: epsilonForDelta(composed, delta - deltaError) + epsError,
    epsError,
    deltaError,
    gridSize: size,
    mesh,
  };
}

function safeHalfWidth(events: readonly MechanismEvent[], steps: number, epsError: number, deltaError: number): number {
  const rdpEpsilon = (history: readonly MechanismEvent[], delta: number): number =>
    rdpToDp(DEFAULT_RDP_ORDERS, historyRdp(history, DEFAULT_RDP_ORDERS), delta).epsilon;
  let width = rdpEpsilon(events, deltaError / 4);
  for (const e of events) width = Math.max(width, rdpEpsilon([{ ...e, steps: 1 }], deltaError / (8 * steps)));
  return Math.max(width, epsError) + 3;
}

/**
 * The PRV accountant: numerically near-exact accounting for Poisson-sampled
 * Gaussian mechanisms. Reports the upper end of its guaranteed interval (as
 * Opacus does), so it never under-reports; explain() also gives the point
 * estimate and the lower end.
 */
export class PrvAccountant extends ComposingAccountant {
  readonly name = 'prv' as const;
  constructor(private readonly options: PrvOptions = {}) {
    super();
  }

  protected report(events: readonly MechanismEvent[], delta: number): EpsilonReport {
    const r = prvEpsilon(events, delta, this.options);
    return {
      accountant: 'prv',
      epsilon: r.upper,
      delta,
      estimate: r.estimate,
      lower: r.lower,
      upper: r.upper,
      epsError: r.epsError,
      deltaError: r.deltaError,
    };
  }
}
