import { normalCdfAndSf } from './normal.js';

/**
 * The privacy loss random variable (PRV) of one step of the Poisson-subsampled
 * Gaussian mechanism, for the dominating pair P = (1-q) N(0, s^2) + q N(1, s^2)
 * against Q = N(0, s^2) (sensitivity 1, s = noise multiplier): the loss is
 * L(y) = log(P(y)/Q(y)) = log(1 - q + q exp((2y - 1) / (2 s^2))) with y ~ P.
 * L is increasing in y, so its CDF is the mixture CDF at the inverse
 * (Gopi, Lee & Wutschitz 2021, Appendix B):
 *   z = log((e^t - (1 - q)) / q),
 *   P(L <= t) = q Phi(z s - 1/(2s)) + (1 - q) Phi(z s + 1/(2s))   for t > log(1 - q),
 * and 0 below, where the loss cannot go.
 */
export class PoissonGaussianPrivacyLoss {
  private readonly logQ: number;
  /** The loss is always above log(1 - q). */
  readonly lowerLimit: number;

  constructor(
    readonly sampleRate: number,
    readonly noiseMultiplier: number,
  ) {
    this.logQ = Math.log(sampleRate);
    this.lowerLimit = Math.log1p(-sampleRate);
  }

  /** P(L <= t) and P(L > t), each accurate where it is small. */
  cdfAndSf(t: number): { cdf: number; sf: number } {
    if (t <= this.lowerLimit) return { cdf: 0, sf: 1 };
    const q = this.sampleRate;
    const s = this.noiseMultiplier;
    const z = this.zAt(t);
    const a = normalCdfAndSf(z * s - 1 / (2 * s));
    const b = normalCdfAndSf(z * s + 1 / (2 * s));
    return { cdf: q * a.cdf + (1 - q) * b.cdf, sf: q * a.sf + (1 - q) * b.sf };
  }

  /** The loss at output y: log(1 - q + q exp(w)), w = (2y - 1) / (2 s^2). */
  lossAt(y: number): number {
    const q = this.sampleRate;
    const w = (2 * y - 1) / (2 * this.noiseMultiplier * this.noiseMultiplier);
    return w > 0 ? w + Math.log(q + (1 - q) * Math.exp(-w)) : Math.log1p(q * Math.expm1(w));
  }

  /** The output y at which the loss is t (inverse of lossAt), for t > lowerLimit. */
  outputAt(t: number): number {
    const s = this.noiseMultiplier;
    return s * s * this.zAt(t) + 0.5;
  }

  /** z = log((e^t - (1 - q)) / q), the log likelihood ratio of the two Gaussians. */
  private zAt(t: number): number {
    const q = this.sampleRate;
    if (q === 1) return t;
    // e^t - (1 - q) without cancellation near t = 0, and without overflow for huge t
    return t <= 30 ? Math.log(Math.expm1(t) + q) - this.logQ : t + Math.log1p((q - 1) * Math.exp(-t)) - this.logQ;
  }

  /** The density of the output y under P. */
  outputDensity(y: number): number {
    const s = this.noiseMultiplier;
    const q = this.sampleRate;
    const g = (x: number): number => Math.exp(-0.5 * x * x) / (s * Math.sqrt(2 * Math.PI));
    return (1 - q) * g(y / s) + q * g((y - 1) / s);
  }

  /**
   * E[L ; a < L <= b], the loss integrated over the outputs whose loss lies in
   * (a, b]. Computed in output space, where the integrand is smooth and
   * Gaussian-tailed (in loss space the density has a log-singular edge at
   * log(1 - q)), by composite Simpson with step s/128 over at most 40 s beyond
   * the mixture's components.
   */
  partialMean(a: number, b: number): number {
    const s = this.noiseMultiplier;
    const reach = 40 * s;
    const yLo = Math.max(a <= this.lowerLimit ? -Infinity : this.outputAt(a), -reach);
    const yHi = Math.min(this.outputAt(b), 1 + reach);
    if (!(yHi > yLo)) return 0;
    const panels = 2 * Math.ceil(((yHi - yLo) / (s / 128)) / 2);
    const h = (yHi - yLo) / panels;
    const f = (y: number): number => this.lossAt(y) * this.outputDensity(y);
    let sum = f(yLo) + f(yHi);
    for (let k = 1; k < panels; k++) sum += (k % 2 === 1 ? 4 : 2) * f(yLo + k * h);
    return (sum * h) / 3;
  }
}
