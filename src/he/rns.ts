/**
 * Vectors of residues in RNS form, the layout SEAL serialises: prime-major
 * blocks of N 64-bit words, word k of block j a residue mod q_j. We hold them
 * as Uint32Array (lo, hi) pairs over the same little-endian bytes, so adds and
 * subtracts run on plain numbers (no BigInt) and the words never leave [0, q_j).
 * Products are left to SEAL's evaluator (pointwise, in wasm) or, for the few
 * scalars a run needs, to BigInt.
 */
const TWO32 = 2 ** 32;

export interface RnsBasis {
  readonly n: number; // ring degree N
  readonly q: readonly bigint[];
  readonly qLo: readonly number[];
  readonly qHi: readonly number[];
}

export function rnsBasis(n: number, q: readonly bigint[]): RnsBasis {
  return { n, q, qLo: q.map((p) => Number(p & 0xffffffffn)), qHi: q.map((p) => Number(p >> 32n)) };
}

/** Words in one polynomial over the basis. */
export function polyWords(b: RnsBasis): number {
  return b.n * b.q.length;
}

/** Index of the first word >= its prime, or -1. `words` may hold several polynomials. */
export function firstWordOutOfRange(b: RnsBasis, words: Uint32Array): number {
  const count = words.length / 2;
  for (let w = 0; w < count; w++) {
    const j = Math.floor(w / b.n) % b.q.length;
    const hi = words[2 * w + 1]!;
    const qh = b.qHi[j]!;
    if (hi > qh || (hi === qh && words[2 * w]! >= b.qLo[j]!)) return w;
  }
  return -1;
}

/** acc = acc + sign * x (mod q), over whole polynomials laid out as in SEAL. */
export function addInto(b: RnsBasis, acc: Uint32Array, x: Uint32Array, sign: 1 | -1 = 1): void {
  if (acc.length !== x.length) throw new RangeError(`RNS vectors differ in length: ${acc.length / 2} vs ${x.length / 2} words`);
  const a32 = new Int32Array(acc.buffer, acc.byteOffset, acc.length);
  const x32 = new Int32Array(x.buffer, x.byteOffset, x.length);
  const blocks = acc.length / 2 / b.n;
  for (let blk = 0; blk < blocks; blk++) {
    const j = blk % b.q.length;
    addBlock(a32, x32, 2 * blk * b.n, 2 * (blk + 1) * b.n, b.qLo[j]! | 0, b.qHi[j]!, sign === -1 ? -1 : 0);
  }
}

const MIN32 = -2147483648;

/**
 * One prime's block of addInto, on the words' bits as int32 and without
 * branches: the reduction's branch is a coin flip on random residues, and
 * mispredicting it cost 3x (measured). `a ^ MIN32 < b ^ MIN32` is the
 * unsigned comparison of the low words; masks of all ones or zeros select q.
 * q_j < 2^61, so the high words stay far from int32 overflow.
 */
function addBlock(acc: Int32Array, x: Int32Array, from: number, end: number, qLo: number, qHi: number, negate: 0 | -1): void {
  const qLoFlip = qLo ^ MIN32;
  for (let at = from; at < end; at += 2) {
    let xl = x[at]!;
    let xh = x[at + 1]!;
    // negate: x := q - x where x != 0 (n is all ones there, else zero)
    const n = negate & -+((xl | xh) !== 0);
    const dl = (qLo - xl) | 0;
    const dh = (qHi - xh - +(qLoFlip < (xl ^ MIN32))) | 0;
    xl = (dl & n) | (xl & ~n);
    xh = (dh & n) | (xh & ~n);
    const al = acc[at]!;
    const lo = (al + xl) | 0;
    const hi = (acc[at + 1]! + xh + +((lo ^ MIN32) < (al ^ MIN32))) | 0;
    // subtract q where acc + x >= q
    const m = -(+(hi > qHi) | (+(hi === qHi) & +((lo ^ MIN32) >= qLoFlip)));
    const sl = qLo & m;
    acc[at] = (lo - sl) | 0;
    acc[at + 1] = (hi - (qHi & m) - +((lo ^ MIN32) < (sl ^ MIN32))) | 0;
  }
}

/**
 * In place: y = (y + addend) * m (mod q) for a small integer 0 <= m < 2^16, in float64
 * without BigInt: the quotient estimate floor(y m / q) is off by at most one
 * (y m < 2^76, q > 2^40), and every partial product stays below 2^53.
 */
export function mulSmallInto(b: RnsBasis, y: Uint32Array, m: number, addend?: Uint32Array): void {
  if (!Number.isInteger(m) || m < 0 || m >= 2 ** 16) throw new RangeError(`small multiplier must be an integer in [0, 2^16), got ${m}`);
  if (addend !== undefined && addend.length !== y.length) throw new RangeError('addend differs in length');
  const blocks = y.length / 2 / b.n;
  for (let blk = 0; blk < blocks; blk++) {
    const j = blk % b.q.length;
    const ql = b.qLo[j]!;
    const qh = b.qHi[j]!;
    const qf = qh * TWO32 + ql;
    const end = 2 * (blk + 1) * b.n;
    for (let at = 2 * blk * b.n; at < end; at += 2) {
      let yl = y[at]!;
      let yh = y[at + 1]!;
      if (addend !== undefined) {
        // y + addend, reduced below q first (Horner's step is (y + c) m)
        yl += addend[at]!;
        yh += addend[at + 1]!;
        if (yl >= TWO32) {
          yl -= TWO32;
          yh += 1;
        }
        if (yh > qh || (yh === qh && yl >= ql)) {
          yl -= ql;
          yh -= qh;
          if (yl < 0) {
            yl += TWO32;
            yh -= 1;
          }
        }
      }
      const e = Math.floor(((yh * m) * TWO32 + yl * m) / qf);
      let hi = yh * m - e * qh;
      let lo = yl * m - e * ql;
      const carry = Math.floor(lo / TWO32);
      lo -= carry * TWO32;
      hi += carry;
      if (hi < 0) {
        lo += ql;
        hi += qh;
        if (lo >= TWO32) {
          lo -= TWO32;
          hi += 1;
        }
      } else if (hi > qh || (hi === qh && lo >= ql)) {
        lo -= ql;
        hi -= qh;
        if (lo < 0) {
          lo += TWO32;
          hi -= 1;
        }
      }
      y[at] = lo;
      y[at + 1] = hi;
    }
  }
}

/**
 * Residues of one integer vector (|v| < 2^53, exact integers in float64),
 * written as one polynomial: block j holds v mod q_j.
 */
export function fromIntegers(b: RnsBasis, values: Float64Array): Uint32Array {
  if (values.length !== b.n) throw new RangeError(`expected ${b.n} integers, got ${values.length}`);
  const out = new Uint32Array(2 * polyWords(b));
  for (let j = 0; j < b.q.length; j++) {
    const qf = Number(b.q[j]!);
    const small = b.q[j]! < 2n ** 53n;
    const ql = b.qLo[j]!;
    const qh = b.qHi[j]!;
    for (let k = 0; k < b.n; k++) {
      const v = values[k]!;
      const at = 2 * (j * b.n + k);
      if (small) {
        const r = ((v % qf) + qf) % qf; // exact: all operands below 2^53
        out[at + 1] = Math.floor(r / TWO32);
        out[at] = r - out[at + 1]! * TWO32;
      } else {
        const a = Math.abs(v);
        let hi = Math.floor(a / TWO32);
        let lo = a - hi * TWO32;
        if (v < 0) {
          lo = ql - lo;
          hi = qh - hi;
          if (lo < 0) {
            lo += TWO32;
            hi -= 1;
          }
        }
        out[at] = lo;
        out[at + 1] = hi;
      }
    }
  }
  return out;
}

/**
 * One polynomial of residues uniform mod q_j, by rejection sampling from a
 * byte stream (8 bytes per draw, high word masked to the prime's bit length).
 * Rejections are rare (q_j is within 2^-40 of a power of two) but handled.
 */
export function uniformPoly(b: RnsBasis, stream: (bytes: number) => Uint8Array): Uint32Array {
  const out = new Uint32Array(2 * polyWords(b));
  // One draw per word plus 1/64 spare; more only if that runs out.
  const refill = (words: number) => {
    const bytes = stream(8 * words);
    return bytes.byteOffset % 4 === 0 ? new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2) : new Uint32Array(bytes.slice().buffer);
  };
  let pool = refill(polyWords(b) + (polyWords(b) >> 6) + 1);
  let at = 0;
  for (let j = 0; j < b.q.length; j++) {
    const qh = b.qHi[j]!;
    const mask = (2 ** (32 - Math.clz32(qh)) - 1) >>> 0;
    const end = 2 * (j + 1) * b.n;
    for (let w = 2 * j * b.n; w < end; ) {
      if (at >= pool.length) {
        pool = refill(256);
        at = 0;
      }
      const next = acceptBelow(out, w, end, pool, at, qh, b.qLo[j]!, mask);
      w = next.w;
      at = next.at;
    }
  }
  return out;
}

/**
 * The rejection loop on its own: kept out of uniformPoly, V8 optimises it as
 * a whole function instead of on-stack replacement (measured 10-20x faster).
 */
function acceptBelow(out: Uint32Array, w: number, end: number, pool: Uint32Array, at: number, qh: number, ql: number, mask: number): { w: number; at: number } {
  while (w < end && at < pool.length) {
    const lo = pool[at]!;
    const hi = (pool[at + 1]! & mask) >>> 0;
    at += 2;
    if (hi < qh || (hi === qh && lo < ql)) {
      out[w] = lo;
      out[w + 1] = hi;
      w += 2;
    }
  }
  return { w, at };
}

/**
 * One polynomial whose block j is the constant c (or c[j]) mod q_j; a
 * constant polynomial is its own NTT, so this multiplies in either form.
 */
export function constantPoly(b: RnsBasis, c: bigint | readonly bigint[]): Uint32Array {
  const out = new BigUint64Array(polyWords(b));
  for (let j = 0; j < b.q.length; j++) {
    const v = typeof c === 'bigint' ? c : c[j]!;
    out.fill(((v % b.q[j]!) + b.q[j]!) % b.q[j]!, j * b.n, (j + 1) * b.n);
  }
  return new Uint32Array(out.buffer);
}

export function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  let r = 1n;
  let x = ((base % m) + m) % m;
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) r = (r * x) % m;
    x = (x * x) % m;
  }
  return r;
}

/** Pointwise product mod q_j in BigInt; for setup-time work only (a few polynomials per run). */
export function mulPointwise(b: RnsBasis, x: Uint32Array, y: Uint32Array): Uint32Array {
  const xs = new BigUint64Array(x.buffer, x.byteOffset, x.length / 2);
  const ys = new BigUint64Array(y.buffer, y.byteOffset, y.length / 2);
  const out = new BigUint64Array(xs.length);
  for (let w = 0; w < xs.length; w++) out[w] = (xs[w]! * ys[w]!) % b.q[Math.floor(w / b.n) % b.q.length]!;
  return new Uint32Array(out.buffer);
}
