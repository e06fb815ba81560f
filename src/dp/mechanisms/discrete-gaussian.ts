/**
 * The exact discrete Gaussian of scale 2^m that the grid mechanism adds
 * (Canonne, Kamath & Steinke 2020, Algorithm 3 with t = sigma = 2^m, the
 * discrete Laplace proposal of Algorithm 2 and the Bernoulli(exp(-x)) of
 * Algorithm 1 inlined), one value per model parameter per step.
 *
 * Every Bernoulli trial compares a uniform real with the exact binary
 * expansion of its probability lazily: the first random bit that differs
 * from the expansion decides. A trial then costs about two random bits, not
 * a whole k-bit integer, and its outcome still has exactly the probability
 * the algorithm asks for (n / 2^k; 1 / K by exact long division). No
 * floating-point number shapes the distribution.
 *
 * Two implementations read random bits the same way (most significant bit
 * first from a stream of 32-bit words), so for the same words they return
 * the same numbers: native/noise.c (the native engine: a ChaCha20 keystream
 * per chunk of NOISE_CHUNK values, keyed by node:crypto, chunks drawn in
 * parallel) and this file (the wasm engine: words from node:crypto directly).
 */
import { randomBytes } from 'node:crypto';
import { nativeKernels } from '../../engine/native-addon.js';
import { MAX_LOG2_SCALE } from './discrete-samplers.js';
import { SecureBits } from './secure-bits.js';

/** Values per ChaCha20 stream in the native sampler (native/noise.c PM_NOISE_CHUNK). */
export const NOISE_CHUNK = 4096;
/** Long division of 1 / K in 32-bit steps stays exact in doubles below this K (reached with probability about 1 / 2^21!). */
const MAX_K = 2 ** 21;

/** Random bits, most significant first, from uniform 32-bit words. */
export class LazyBits {
  private pool = 0; // unread bits, left-aligned
  private avail = 0;

  constructor(private readonly nextWord: () => number) {}

  private consume(n: number): void {
    this.avail -= n;
    this.pool = n === 32 ? 0 : (this.pool << n) >>> 0;
  }

  private refill(): void {
    this.pool = this.nextWord() >>> 0;
    this.avail = 32;
  }

  /** The next k <= 32 bits as an unsigned integer. */
  take(k: number): number {
    if (k === 0) return 0;
    if (this.avail >= k) {
      const v = k === 32 ? this.pool : this.pool >>> (32 - k);
      this.consume(k);
      return v;
    }
    const high = this.avail;
    const h = high === 0 ? 0 : this.pool >>> (32 - high);
    this.refill();
    return h * 2 ** (k - high) + this.take(k - high);
  }

  /** Compares the next len <= 32 bits with chunk (< 2^len): 1 if they are smaller, 0 if larger, -1 if equal (all consumed). */
  compare(chunk: number, len: number): number {
    while (len > 0) {
      if (this.avail === 0) this.refill();
      const n = Math.min(len, this.avail);
      const r = n === 32 ? this.pool : this.pool >>> (32 - n);
      const c = chunk >>> (len - n);
      const d = (r ^ c) >>> 0;
      if (d !== 0) {
        const p = Math.clz32(d) - (32 - n); // the first differing bit, from the top
        this.consume(p + 1);
        return (c >>> (n - 1 - p)) & 1;
      }
      this.consume(n);
      len -= n;
      chunk = len === 0 ? 0 : (chunk & (2 ** len - 1)) >>> 0;
    }
    return -1;
  }

  /** Bernoulli(n / 2^k) for integers 0 <= n < 2^k, k <= 53. */
  belowPow2(n: number, k: number): boolean {
    if (k > 32) {
      const high = Math.floor(n / 4294967296);
      const r = this.compare(high, k - 32);
      if (r >= 0) return r === 1;
      return this.compare(n - high * 4294967296, 32) === 1;
    }
    return this.compare(n, k) === 1;
  }

  /** Bernoulli(1 / K): compares with 1/K's binary expansion, produced 32 bits at a time by long division. */
  oneOver(K: number): boolean {
    if (K === 1) return true;
    if (K >= MAX_K) throw new RangeError(`discrete Gaussian: Bernoulli(1/${K}) is beyond the exact long division`);
    let rem = 1;
    for (;;) {
      const num = rem * 4294967296;
      const q = Math.floor(num / K);
      const r = this.compare(q, 32);
      if (r >= 0) return r === 1;
      rem = num - q * K;
    }
  }
}

/** Bernoulli(exp(-1)): K counts successes of Bernoulli(1/K) from K = 2; exp(-1) = P(K odd). */
function expMinusOne(bits: LazyBits): boolean {
  let K = 2;
  while (bits.oneOver(K)) K++;
  return (K & 1) === 1;
}

function expInteger(bits: LazyBits, n: number): boolean {
  for (let i = 0; i < n; i++) if (!expMinusOne(bits)) return false;
  return true;
}

/** Bernoulli(exp(-n / 2^k)) for 0 <= n < 2^k: K counts successes of Bernoulli(n / 2^k) AND Bernoulli(1 / K). */
function expFraction(bits: LazyBits, n: number, k: number): boolean {
  if (n === 0) return true;
  let K = 1;
  while (bits.belowPow2(n, k) && bits.oneOver(K)) K++;
  return (K & 1) === 1;
}

/** Bernoulli(exp(-a^2 / (2 t^2))) for t = 2^m: with a = h t + l, the exponent is h^2 / 2 + h l / t + l^2 / (2 t^2). */
function accept(bits: LazyBits, a: number, m: number): boolean {
  const t = 2 ** m;
  const sq = 2 * m + 1;
  if (a < t) return expFraction(bits, a * a, sq);
  const h = Math.floor(a / t);
  const l = a - h * t;
  const hh = h * h;
  const hl = h * l;
  const hlWhole = Math.floor(hl / t);
  return (
    expInteger(bits, Math.floor(hh / 2)) &&
    (hh % 2 === 0 || expFraction(bits, t * t, sq)) &&
    expInteger(bits, hlWhole) &&
    expFraction(bits, hl - hlWhole * t, m) &&
    expFraction(bits, l * l, sq)
  );
}

/** One discrete Gaussian value of scale 2^m: a discrete Laplace proposal u + t v of scale t, signed, accepted with accept(). */
export function sampleDiscreteGaussian(bits: LazyBits, m: number): number {
  const t = 2 ** m;
  for (;;) {
    const u = bits.take(m);
    if (!expFraction(bits, u, m)) continue;
    let v = 0;
    while (expMinusOne(bits)) v++;
    const y = u + t * v;
    const negative = bits.take(1) === 1;
    if (negative && y === 0) continue;
    if (accept(bits, y >= t ? y - t : t - y, m)) return negative ? -y : y;
  }
}

function checkScale(log2Scale: number): void {
  if (!(Number.isInteger(log2Scale) && log2Scale >= 0 && log2Scale <= MAX_LOG2_SCALE)) {
    throw new RangeError(`discrete Gaussian scale 2^m needs an integer m in [0, ${MAX_LOG2_SCALE}], got ${log2Scale}`);
  }
}

/** out[i] = one discrete Gaussian value of scale 2^log2Scale each, from the given bits (tests pass a keyed stream). */
export function fillDiscreteGaussian(out: Float64Array, log2Scale: number, bits: LazyBits): void {
  checkScale(log2Scale);
  for (let i = 0; i < out.length; i++) out[i] = sampleDiscreteGaussian(bits, log2Scale);
}

/**
 * `count` independent discrete Gaussian values of scale 2^log2Scale from a
 * CSPRNG: the native sampler (ChaCha20 keyed by node:crypto) when the native
 * engine is active, this file's sampler on node:crypto's words otherwise.
 */
export function discreteGaussianNoise(count: number, log2Scale: number, engine: 'auto' | 'js' = 'auto'): Float64Array {
  checkScale(log2Scale);
  const out = new Float64Array(count);
  const addon = engine === 'auto' ? nativeKernels() : null;
  if (addon !== null) {
    const key = randomBytes(32);
    const rc = addon.discreteGaussian(key, log2Scale, out);
    key.fill(0);
    if (rc === 0) return out;
  }
  const words = new SecureBits();
  fillDiscreteGaussian(out, log2Scale, new LazyBits(() => words.u32()));
  return out;
}
