/**
 * Uniform random bits from the operating system's CSPRNG (node:crypto), for
 * everything DP draws: noise and batch sampling. There is deliberately no way
 * to seed it: a reproducible DP noise stream is a non-private one.
 *
 * Every draw here is exact: integers come from whole random bits (with
 * rejection), Bernoulli trials compare random bits with the exact binary
 * expansion of their probability. No floating-point logarithm or division
 * ever shapes a distribution, which is what Mironov's (2012) attack exploits.
 */
import { randomFillSync } from 'node:crypto';

const WORDS = 4096;

export class SecureBits {
  private readonly words = new Uint32Array(WORDS);
  private next = WORDS;
  private pool = 0;
  private poolBits = 0;

  /** 32 uniform bits as an unsigned integer. */
  u32(): number {
    if (this.next === WORDS) {
      randomFillSync(this.words);
      this.next = 0;
    }
    return this.words[this.next++]!;
  }

  /** Uniform in [0, 2^k), 0 <= k <= 32. */
  bits(k: number): number {
    if (k === 32) return this.u32();
    if (k === 0) return 0;
    if (this.poolBits < k) {
      // Leftover bits are dropped: they are independent of everything drawn, so nothing is biased.
      this.pool = this.u32();
      this.poolBits = 32;
    }
    const v = this.pool & ((1 << k) - 1);
    this.pool >>>= k;
    this.poolBits -= k;
    return v >>> 0;
  }

  bit(): number {
    return this.bits(1);
  }

  /** Uniform integer in [0, n) for an integer 1 <= n <= 2^53, by rejection (exact). */
  uniformInt(n: number): number {
    if (n <= 2 ** 32) {
      if (n === 1) return 0;
      const k = 32 - Math.clz32(n - 1);
      for (;;) {
        const v = this.bits(k);
        if (v < n) return v;
      }
    }
    if (!(Number.isInteger(n) && n <= 2 ** 53)) throw new RangeError(`uniformInt: n must be an integer in [1, 2^53], got ${n}`);
    const k = bitLength(n - 1);
    for (;;) {
      const v = k <= 32 ? this.bits(k) : this.bits(k - 32) * 2 ** 32 + this.u32();
      if (v < n) return v;
    }
  }

  /** True with probability n / 2^k, for integers 0 <= n <= 2^k, k <= 53. */
  belowPow2(n: number, k: number): boolean {
    if (k <= 32) return this.bits(k) < n;
    const nHigh = Math.floor(n / 4294967296);
    const high = this.bits(k - 32);
    if (high !== nHigh) return high < nHigh;
    return this.u32() < n - nHigh * 4294967296;
  }

  /**
   * True with probability exactly p, for any double p in [0, 1]: compares a
   * lazily drawn uniform real with p's binary expansion (doubling a double and
   * subtracting 1 are exact). Two random bits on average.
   */
  bernoulli(p: number): boolean {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`bernoulli: p must be in [0, 1], got ${p}`);
    if (p === 1) return true;
    let rest = p;
    while (rest > 0) {
      rest *= 2;
      const pBit = rest >= 1 ? 1 : 0;
      if (pBit) rest -= 1;
      const u = this.bit();
      if (u !== pBit) return u < pBit;
    }
    return false;
  }
}

/** Number of bits needed to write n >= 0 (0 for 0). */
export function bitLength(n: number): number {
  let k = 0;
  while (n >= 2 ** 32) {
    n = Math.floor(n / 2 ** 32);
    k += 32;
  }
  return k + (n === 0 ? 0 : 32 - Math.clz32(n));
}
