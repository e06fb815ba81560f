/**
 * The one-run DP audit bound of Steinke, Nasr and Jagielski (NeurIPS 2023,
 * arXiv 2305.08846), one-sided (guess "in" for the top scores, abstain on the
 * rest), as google-deepmind/jax_privacy's auditing module states it:
 *
 *   q = e^eps / (1 + e^eps), beta = P[Bin(r, q) >= v],
 *   alpha = max_{i=1..v} P[v > Bin(r, q) >= v - i] / i,
 *   p(eps) = min(beta + 2 m delta alpha, 1),
 *
 * for m canaries, r guesses and v correct ones; eps_lb is the largest eps with
 * p(eps) <= significance. Every threshold on the Pareto frontier of the
 * scores is tried, with the significance divided by their number
 * (Bonferroni), so the bound holds whichever threshold wins.
 */
import { normalCdf } from '../accounting/normal.js';
import { PrivmedError } from '../common/errors.js';

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
  9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** log Gamma(x) for x > 0 (Lanczos, g = 7; relative error about 1e-15). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** P[Bin(r, q) = k] for k = 0..r, from the mode outwards (tails that underflow are 0). */
export function binomialPmf(r: number, q: number): Float64Array {
  const pmf = new Float64Array(r + 1);
  if (q <= 0 || q >= 1) {
    pmf[q <= 0 ? 0 : r] = 1;
    return pmf;
  }
  const mode = Math.min(r, Math.floor((r + 1) * q));
  const ratio = q / (1 - q);
  pmf[mode] = Math.exp(logGamma(r + 1) - logGamma(mode + 1) - logGamma(r - mode + 1) + mode * Math.log(q) + (r - mode) * Math.log1p(-q));
  for (let k = mode; k < r; k++) pmf[k + 1] = (pmf[k]! * (r - k) * ratio) / (k + 1);
  for (let k = mode; k > 0; k--) pmf[k - 1] = (pmf[k]! * k) / ((r - k + 1) * ratio);
  return pmf;
}

/** The p-value of r guesses with v correct among m canaries, against the claim (eps, delta)-DP. */
export function oneRunPValue(m: number, r: number, v: number, eps: number, delta: number): number {
  const q = 1 / (1 + Math.exp(-eps));
  const pmf = binomialPmf(r, q);
  let beta = 0;
  for (let k = r; k >= v; k--) beta += pmf[k]!;
  if (delta === 0) return Math.min(beta, 1);
  let alpha = 0;
  let cum = 0;
  for (let i = 1; i <= v; i++) {
    cum += pmf[v - i]!;
    alpha = Math.max(alpha, cum / i);
  }
  return Math.min(beta + alpha * delta * 2 * m, 1);
}

/** The largest eps >= epsLo whose claim the counts reject at `significance` (epsLo when none is). */
export function oneRunEpsilon(epsLo: number, m: number, r: number, v: number, significance: number, delta: number): number {
  if (oneRunPValue(m, r, v, epsLo, 0) > significance) return epsLo;
  const falsified = (eps: number): boolean => significance - oneRunPValue(m, r, v, eps, delta) > 0;
  if (!falsified(epsLo)) return epsLo;
  let lo = epsLo;
  let hi = Math.max(1, 2 * epsLo);
  for (let i = 0; i < 60 && falsified(hi); i++) [lo, hi] = [hi, hi * 2];
  // Bisection to 1e-7 (jax_privacy: Brent with xtol 1e-6).
  for (let i = 0; i < 200 && hi - lo > 1e-7; i++) {
    const mid = (lo + hi) / 2;
    if (falsified(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

export interface OneRunAudit {
  /** The empirical lower bound on epsilon at confidence 1 - significance. */
  epsLb: number;
  /** The winning threshold: canaries scoring at least this were guessed "in". */
  threshold: number;
  guesses: number;
  correct: number;
  canaries: number;
  /** Thresholds tried (the significance was divided by this). */
  thresholds: number;
}

/**
 * eps_lb from the scores of included ("in") and excluded ("out") canaries;
 * higher scores must mean "more likely in".
 */
export function auditOneRun(inScores: ArrayLike<number>, outScores: ArrayLike<number>, opts: { significance: number; delta: number }): OneRunAudit {
  const { significance, delta } = opts;
  if (inScores.length === 0 || outScores.length === 0) throw new PrivmedError(`the one-run audit needs canaries on both sides (got ${inScores.length} in, ${outScores.length} out)`);
  if (!(significance > 0 && significance < 1)) throw new PrivmedError(`significance must be in (0, 1), got ${significance}`);
  if (!(delta >= 0 && delta <= 1)) throw new PrivmedError(`delta must be in [0, 1], got ${delta}`);
  for (const s of [...Array.from(inScores), ...Array.from(outScores)]) if (!Number.isFinite(s)) throw new PrivmedError(`canary scores must be finite numbers, got ${s}`);
  const ins = Float64Array.from(inScores).sort();
  const outs = Float64Array.from(outScores).sort();
  const frontier = paretoThresholds(ins, outs);
  const nPos = ins.length;
  const nNeg = outs.length;
  const m = nPos + nNeg;
  const sig = significance / frontier.length;
  // Most promising first (a normal-approximation lower bound on precision): later ones are mostly pruned.
  const cands = frontier
    .map((f) => ({ ...f, tp: nPos - f.fn, fp: nNeg - f.tn }))
    .filter((c) => c.tp + c.fp > 0)
    .map((c) => {
      const n = c.tp + c.fp;
      const p = c.tp / n;
      return { ...c, key: p - 3 * Math.sqrt((p * (1 - p)) / n) - 1 / n };
    })
    .sort((a, b) => b.key - a.key);
  let best: OneRunAudit = { epsLb: 0, threshold: Infinity, guesses: 0, correct: 0, canaries: m, thresholds: frontier.length };
  let bestQ = 0.5;
  for (const c of cands) {
    const r = c.tp + c.fp;
    if (c.tp / r <= bestQ) continue; // precision below e^eps/(1+e^eps) cannot reject a larger eps
    const eps = oneRunEpsilon(best.epsLb, m, r, c.tp, sig, delta);
    if (eps > best.epsLb) {
      best = { epsLb: eps, threshold: c.threshold, guesses: r, correct: c.tp, canaries: m, thresholds: frontier.length };
      bestQ = 1 / (1 + Math.exp(-eps));
    }
  }
  return best;
}

/**
 * The thresholds (every distinct score, and +Infinity) whose (false negatives,
 * true negatives) counts lie on the upper convex hull: the others are beaten
 * by randomising between two neighbours, so they are not separate hypotheses.
 */
function paretoThresholds(ins: Float64Array, outs: Float64Array): { threshold: number; fn: number; tn: number }[] {
  const all = Float64Array.from([...ins, ...outs]).sort();
  const points: { threshold: number; fn: number; tn: number }[] = [];
  let i = 0;
  let o = 0;
  const push = (t: number): void => {
    while (i < ins.length && ins[i]! < t) i++;
    while (o < outs.length && outs[o]! < t) o++;
    points.push({ threshold: t, fn: i, tn: o });
  };
  for (let k = 0; k < all.length; k++) if (k === 0 || all[k] !== all[k - 1]) push(all[k]!);
  push(Infinity);
  const hull: typeof points = [];
  for (const p of points) {
    while (hull.length >= 2) {
      const a = hull[hull.length - 2]!;
      const b = hull[hull.length - 1]!;
      const cross = (b.tn - a.tn) * (p.fn - b.fn) - (p.tn - b.tn) * (b.fn - a.fn);
      if (cross <= 0) hull.pop();
      else break;
    }
    hull.push(p);
  }
  return hull;
}

/** Standard normal quantile: Acklam's rational approximation polished by two Newton steps. */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) return p === 0 ? -Infinity : p === 1 ? Infinity : Number.NaN;
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  let x: number;
  if (p < 0.02425) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  } else if (p > 1 - 0.02425) {
    return -normalQuantile(1 - p);
  } else {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
  }
  for (let i = 0; i < 2; i++) x -= (normalCdf(x) - p) / (Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI));
  return x;
}
