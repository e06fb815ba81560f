/**
 * Arithmetic on numbers stored as their logarithms. RDP moments of the sampled
 * Gaussian are sums of terms like exp(500) * 1e-300; in log space they neither
 * overflow nor vanish.
 */

/** log(exp(a) + exp(b)). */
export function logAdd(a: number, b: number): number {
  const hi = Math.max(a, b);
  const lo = Math.min(a, b);
  if (lo === -Infinity) return hi;
  if (hi === Infinity) return Infinity;
  return hi + Math.log1p(Math.exp(lo - hi));
}

/** log(exp(a) - exp(b)) for a >= b; -Infinity when they are equal. */
export function logSub(a: number, b: number): number {
  if (b === -Infinity) return a;
  if (a < b) throw new RangeError(`logSub: ${a} < ${b}, the difference would be negative`);
  if (a === b) return -Infinity;
  const d = a - b;
  // exp(d) - 1 overflows only when d > 709; then exp(a) - exp(b) ~ exp(a).
  return d > 700 ? a : b + Math.log(Math.expm1(d));
}

/** log(n choose k) for integers 0 <= k <= n, as a sum of logs (exact enough, no overflow). */
export function logBinomial(n: number, k: number): number {
  if (k < 0 || k > n) return -Infinity;
  const m = Math.min(k, n - k);
  let s = 0;
  for (let i = 1; i <= m; i++) s += Math.log((n - m + i) / i);
  return s;
}

/**
 * The generalised binomial coefficients (alpha choose i) for real alpha, as
 * log|value| and sign, for i = 0, 1, 2, ... on demand. For non-integer alpha
 * they alternate in sign once i > alpha.
 */
export class GeneralisedBinomials {
  private i = 0;
  private logAbs = 0;
  private sign = 1;
  constructor(private readonly alpha: number) {}

  /** (alpha choose i) for the next i, starting at 0. */
  next(): { logAbs: number; sign: number } {
    const out = { logAbs: this.logAbs, sign: this.sign };
    const factor = (this.alpha - this.i) / (this.i + 1);
    this.logAbs += Math.log(Math.abs(factor));
    if (factor < 0) this.sign = -this.sign;
    this.i++;
    return out;
  }
}
