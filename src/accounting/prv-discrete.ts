import { Fft } from './fft.js';
import type { PoissonGaussianPrivacyLoss } from './privacy-loss.js';

/**
 * A privacy loss distribution on an even grid t_i = start + i * mesh,
 * i = 0..size-1: the discrete stand-in for a privacy loss random variable in
 * the PRV accountant (Gopi, Lee & Wutschitz 2021, "Numerical composition of
 * differential privacy").
 */
export interface GridLoss {
  readonly pmf: Float64Array;
  readonly start: number;
  readonly mesh: number;
}

/** Neumaier-compensated running sum: millions of terms, errors stay ~1 ulp. */
class CompensatedSum {
  private sum = 0;
  private carry = 0;
  add(x: number): void {
    const t = this.sum + x;
    this.carry += Math.abs(this.sum) >= Math.abs(x) ? this.sum - t + x : x - t + this.sum;
    this.sum = t;
  }
  get value(): number {
    return this.sum + this.carry;
  }
}

/**
 * Discretises a loss truncated to the grid's cells [t_i - mesh/2, t_i + mesh/2]:
 * each point gets its cell's probability (renormalised by the mass kept), then
 * the whole grid is shifted so the discrete mean equals the truncated
 * continuous mean (the paper's mean-preserving discretisation, which makes the
 * composed estimate accurate to second order in the mesh).
 * The grid is t_i = (i - size/2) * mesh.
 */
export function discretise(loss: PoissonGaussianPrivacyLoss, size: number, mesh: number): GridLoss {
  const half = size / 2;
  // cdf at cell boundaries b_k = (k - half - 1/2) mesh, k = 0..size; sf kept too,
  // because above the median the probabilities are differences of tiny sfs.
  const cdf = new Float64Array(size + 1);
  const sf = new Float64Array(size + 1);
  for (let k = 0; k <= size; k++) {
    const v = loss.cdfAndSf((k - half - 0.5) * mesh);
    cdf[k] = v.cdf;
    sf[k] = v.sf;
  }
  const kept = 1 - sf[size]! - cdf[0]!;
  const pmf = new Float64Array(size);
  const discreteMean = new CompensatedSum();
  for (let i = 0; i < size; i++) {
    const t = (i - half) * mesh;
    const mass = t <= 0 ? cdf[i + 1]! - cdf[i]! : sf[i]! - sf[i + 1]!;
    pmf[i] = mass / kept;
    discreteMean.add(t * pmf[i]!);
  }
  const lo = (-half - 0.5) * mesh;
  const hi = (half - 0.5) * mesh;
  const continuousMean = loss.partialMean(lo, hi) / kept;
  const shift = continuousMean - discreteMean.value;
  if (!(Math.abs(shift) < mesh / 2)) {
    throw new RangeError(`PRV discretisation: mean shift ${shift} is not below half the mesh ${mesh / 2}`);
  }
  return { pmf, start: -half * mesh + shift, mesh };
}

/**
 * The distribution of the sum of `counts[j]` independent copies of each
 * losses[j] (all on grids of the same size and mesh whose start is
 * -size/2 * mesh + shift_j), by one product of Fourier transforms. The
 * convolution is circular: mass beyond the grid wraps around, which the
 * accountant's choice of grid width makes negligible (within delta_error).
 */
export function composeLosses(losses: readonly GridLoss[], counts: readonly number[]): GridLoss {
  const size = losses[0]!.pmf.length;
  const mesh = losses[0]!.mesh;
  const half = size / 2;
  const fft = new Fft(size);
  const accRe = new Float64Array(size).fill(1);
  const accIm = new Float64Array(size);
  const re = new Float64Array(size);
  const im = new Float64Array(size);
  let totalShift = 0;
  let total = 0;
  losses.forEach((loss, j) => {
    const count = counts[j]!;
    re.set(loss.pmf);
    im.fill(0);
    fft.forward(re, im);
    for (let k = 0; k < size; k++) {
      // z^count in polar form: one log/exp/cos/sin per bin, whatever the count
      const r = Math.hypot(re[k]!, im[k]!);
      const angle = Math.atan2(im[k]!, re[k]!) * count;
      const magnitude = r === 0 ? 0 : Math.exp(count * Math.log(r));
      const pr = magnitude * Math.cos(angle);
      const pi = magnitude * Math.sin(angle);
      const ar = accRe[k]!;
      accRe[k] = ar * pr - accIm[k]! * pi;
      accIm[k] = ar * pi + accIm[k]! * pr;
    }
    totalShift += count * (loss.start + half * mesh);
    total += count;
  });
  fft.inverse(accRe, accIm);
  // A sum of n grid points sits at index (sum of indices) - (n - 1) * half on
  // the output grid; modulo size that is a roll by half when n - 1 is odd.
  const roll = (total - 1) % 2 === 1 ? half : 0;
  const pmf = new Float64Array(size);
  for (let m = 0; m < size; m++) pmf[m] = accRe[(m + roll) % size]!;
  return { pmf, start: -half * mesh + totalShift, mesh };
}

/**
 * The smallest epsilon with delta(epsilon) <= delta for a discrete loss, where
 * delta(eps) = sum_{t_i > eps} p_i (1 - exp(eps - t_i)) is the hockey-stick
 * divergence. Exact for the discrete distribution: between grid points delta
 * is d1 - e^eps d2 with tail sums d1 = sum p_i and d2 = sum p_i e^{-t_i}.
 */
export function epsilonForDelta(loss: GridLoss, delta: number): number {
  const { pmf, start, mesh } = loss;
  const d1 = new CompensatedSum();
  const d2 = new CompensatedSum();
  for (let m = pmf.length - 1; m >= 0; m--) {
    const t = start + m * mesh;
    // Tail sums over t_i > t_m are in d1, d2 here.
    const deltaAtT = d1.value - Math.exp(t) * d2.value;
    if (deltaAtT > delta) {
      // delta(eps) crosses the target between t_m and t_{m+1}
      return Math.max(0, Math.log((d1.value - delta) / d2.value));
    }
    d1.add(pmf[m]!);
    d2.add(pmf[m]! * Math.exp(-t));
  }
  return 0;
}
