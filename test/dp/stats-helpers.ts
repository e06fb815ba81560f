/** Statistical checks with thresholds far in the tails, so tests fail on bugs, not on luck. */
import assert from 'node:assert/strict';

/** z-score of an observed mean of n draws against the true mean and standard deviation. */
export function assertMeanNear(observed: number, expected: number, sd: number, n: number, what: string, z = 5): void {
  const score = Math.abs(observed - expected) / (sd / Math.sqrt(n));
  assert.ok(score < z, `${what}: observed ${observed}, expected ${expected} (z = ${score.toFixed(2)})`);
}

/** A binomial frequency k/n against probability p. */
export function assertFrequency(k: number, n: number, p: number, what: string): void {
  assertMeanNear(k / n, p, Math.sqrt(p * (1 - p)), n, what);
}

/**
 * Pearson's chi-square of observed counts against expected probabilities
 * (cells with small expectation pooled), compared with the p = 1e-6 quantile
 * (Wilson-Hilferty approximation).
 */
export function assertChiSquare(counts: Map<number, number>, pmf: (x: number) => number, support: number[], n: number, what: string): void {
  let stat = 0;
  let cells = 0;
  let pooledObs = 0;
  let pooledExp = 0;
  let seen = 0;
  for (const x of support) {
    const e = pmf(x) * n;
    const o = counts.get(x) ?? 0;
    seen += o;
    if (e < 20) {
      pooledObs += o;
      pooledExp += e;
      continue;
    }
    stat += (o - e) ** 2 / e;
    cells++;
  }
  // Everything outside the support goes to the pooled cell.
  pooledObs += n - seen;
  pooledExp += n - support.reduce((s, x) => s + pmf(x) * n, 0);
  if (pooledExp > 0) {
    stat += (pooledObs - pooledExp) ** 2 / pooledExp;
    cells++;
  }
  const k = cells - 1;
  const z = 4.75; // one-sided p = 1e-6
  const critical = k * (1 - 2 / (9 * k) + z * Math.sqrt(2 / (9 * k))) ** 3;
  assert.ok(stat < critical, `${what}: chi-square ${stat.toFixed(1)} over ${k} degrees of freedom exceeds ${critical.toFixed(1)}`);
}

export function moments(values: ArrayLike<number>): { mean: number; variance: number; kurtosis: number } {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  const mean = s / values.length;
  let m2 = 0;
  let m4 = 0;
  for (let i = 0; i < values.length; i++) {
    const d = values[i]! - mean;
    m2 += d * d;
    m4 += d ** 4;
  }
  m2 /= values.length;
  m4 /= values.length;
  return { mean, variance: m2, kurtosis: m4 / (m2 * m2) };
}
