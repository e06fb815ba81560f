/** Bit fields of ring elements as 32-bit words: the gate's view of zhat and r without BigInt arithmetic. */
/**
 * Per element of v: x = v >> drop (64-bit logical), p = bit k of x, and
 * x mod 2^k as 32-bit words (k <= 52): 32-bit arithmetic, no BigInt.
 */
export function windowBits(v: BigUint64Array, drop: number, k: number, xlo: Uint32Array, xhi: Uint32Array, p: Uint8Array): void {
  const w = new Uint32Array(v.buffer, v.byteOffset, 2 * v.length);
  const loMask = k >= 32 ? 0xffffffff : 2 ** k - 1;
  const hiMask = k > 32 ? 2 ** (k - 32) - 1 : 0;
  for (let i = 0; i < v.length; i++) {
    const lo = w[2 * i]!;
    const hi = w[2 * i + 1]!;
    let a = lo;
    let b = hi;
    if (drop >= 32) {
      a = hi >>> (drop - 32);
      b = 0;
    } else if (drop > 0) {
      a = (lo >>> drop) | (hi << (32 - drop));
      b = hi >>> drop;
    }
    p[i] = k >= 32 ? (b >>> (k - 32)) & 1 : (a >>> k) & 1;
    xlo[i] = a & loMask;
    xhi[i] = b & hiMask;
  }
}

/** Words (lo, hi) shifted right by v into ring elements. */
export function wordsToRing(xlo: Uint32Array, xhi: Uint32Array, v: number): BigUint64Array {
  const out = new BigUint64Array(xlo.length);
  const w = new Uint32Array(out.buffer);
  for (let i = 0; i < xlo.length; i++) {
    const lo = xlo[i]!;
    const hi = xhi[i]!;
    if (v === 0) {
      w[2 * i] = lo;
      w[2 * i + 1] = hi;
    } else if (v >= 32) w[2 * i] = hi >>> (v - 32);
    else {
      w[2 * i] = (lo >>> v) | (hi << (32 - v));
      w[2 * i + 1] = hi >>> v;
    }
  }
  return out;
}
