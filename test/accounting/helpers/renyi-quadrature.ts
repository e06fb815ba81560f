/**
 * An independent check on the RDP series: the Renyi divergence of two
 * one-dimensional Gaussian mixtures by brute-force quadrature,
 *   D_alpha(P || Q) = log(integral p^alpha q^(1-alpha) dy) / (alpha - 1),
 * with composite Simpson in log space over y in [lo, hi].
 */
export interface Mixture {
  /** [weight, mean] pairs; every component has standard deviation sigma. */
  readonly components: readonly (readonly [number, number])[];
  readonly sigma: number;
}

function logDensity(m: Mixture, y: number): number {
  let max = -Infinity;
  const terms = m.components.map(([w, mu]) => Math.log(w) - ((y - mu) * (y - mu)) / (2 * m.sigma * m.sigma));
  for (const t of terms) max = Math.max(max, t);
  let s = 0;
  for (const t of terms) s += Math.exp(t - max);
  return max + Math.log(s) - Math.log(m.sigma * Math.sqrt(2 * Math.PI));
}

export function renyiByQuadrature(p: Mixture, q: Mixture, alpha: number, lo: number, hi: number, panels = 40_000): number {
  const h = (hi - lo) / panels;
  const logs: number[] = [];
  for (let k = 0; k <= panels; k++) {
    const y = lo + k * h;
    const w = k === 0 || k === panels ? 1 : k % 2 === 1 ? 4 : 2;
    logs.push(Math.log(w) + alpha * logDensity(p, y) + (1 - alpha) * logDensity(q, y));
  }
  const max = Math.max(...logs);
  let s = 0;
  for (const l of logs) s += Math.exp(l - max);
  return (max + Math.log((s * h) / 3)) / (alpha - 1);
}
