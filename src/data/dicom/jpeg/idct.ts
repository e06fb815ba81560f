/**
 * The "slow but accurate" integer inverse DCT of the IJG library (the
 * Loeffler-Ligtenberg-Moschytz algorithm with 13-bit fixed-point constants,
 * ISLOW), so that our output matches libjpeg/dcmtk/gdcm bit for bit. Products
 * can exceed 32 bits for 12-bit data, so the arithmetic is done in doubles
 * (exact below 2^53) and descaling uses floor division.
 */
const CONST_BITS = 13;
const FIX_0_298631336 = 2446;
const FIX_0_390180644 = 3196;
const FIX_0_541196100 = 4433;
const FIX_0_765366865 = 6270;
const FIX_0_899976223 = 7373;
const FIX_1_175875602 = 9633;
const FIX_1_501321110 = 12299;
const FIX_1_847759065 = 15137;
const FIX_1_961570560 = 16069;
const FIX_2_053119869 = 16819;
const FIX_2_562915447 = 20995;
const FIX_3_072711026 = 25172;

function descale(x: number, n: number): number {
  const p = 2 ** n;
  return Math.floor((x + p / 2) / p);
}

const work = new Float64Array(64);

/**
 * coef: 64 quantised coefficients in natural (row-major) order starting at cOff;
 * quant: the quantisation table in natural order. Writes 8x8 samples into out.
 */
export function idctIslow(
  coef: Int32Array,
  cOff: number,
  quant: Int32Array,
  out: Int32Array,
  outOff: number,
  stride: number,
  precision: number,
): void {
  const pass1 = precision === 8 ? 2 : 1;
  const center = 1 << (precision - 1);
  const max = (1 << precision) - 1;
  const ws = work;
  for (let col = 0; col < 8; col++) {
    const d = (row: number) => coef[cOff + row * 8 + col]! * quant[row * 8 + col]!;
    let z2 = d(2);
    let z3 = d(6);
    let z1 = (z2 + z3) * FIX_0_541196100;
    let tmp2 = z1 + z3 * -FIX_1_847759065;
    let tmp3 = z1 + z2 * FIX_0_765366865;
    z2 = d(0);
    z3 = d(4);
    let tmp0 = (z2 + z3) * 8192;
    let tmp1 = (z2 - z3) * 8192;
    const tmp10 = tmp0 + tmp3;
    const tmp13 = tmp0 - tmp3;
    const tmp11 = tmp1 + tmp2;
    const tmp12 = tmp1 - tmp2;
    tmp0 = d(7);
    tmp1 = d(5);
    tmp2 = d(3);
    tmp3 = d(1);
    z1 = tmp0 + tmp3;
    z2 = tmp1 + tmp2;
    z3 = tmp0 + tmp2;
    let z4 = tmp1 + tmp3;
    const z5 = (z3 + z4) * FIX_1_175875602;
    tmp0 *= FIX_0_298631336;
    tmp1 *= FIX_2_053119869;
    tmp2 *= FIX_3_072711026;
    tmp3 *= FIX_1_501321110;
    z1 *= -FIX_0_899976223;
    z2 *= -FIX_2_562915447;
    z3 = z3 * -FIX_1_961570560 + z5;
    z4 = z4 * -FIX_0_390180644 + z5;
    tmp0 += z1 + z3;
    tmp1 += z2 + z4;
    tmp2 += z2 + z3;
    tmp3 += z1 + z4;
    const n = CONST_BITS - pass1;
    ws[col] = descale(tmp10 + tmp3, n);
    ws[56 + col] = descale(tmp10 - tmp3, n);
    ws[8 + col] = descale(tmp11 + tmp2, n);
    ws[48 + col] = descale(tmp11 - tmp2, n);
    ws[16 + col] = descale(tmp12 + tmp1, n);
    ws[40 + col] = descale(tmp12 - tmp1, n);
    ws[24 + col] = descale(tmp13 + tmp0, n);
    ws[32 + col] = descale(tmp13 - tmp0, n);
  }
  const n2 = CONST_BITS + pass1 + 3;
  const put = (o: number, v: number) => {
    const s = descale(v, n2) + center;
    out[o] = s < 0 ? 0 : s > max ? max : s;
  };
  for (let row = 0; row < 8; row++) {
    const w = row * 8;
    let z2 = ws[w + 2]!;
    let z3 = ws[w + 6]!;
    let z1 = (z2 + z3) * FIX_0_541196100;
    let tmp2 = z1 + z3 * -FIX_1_847759065;
    let tmp3 = z1 + z2 * FIX_0_765366865;
    let tmp0 = (ws[w]! + ws[w + 4]!) * 8192;
    let tmp1 = (ws[w]! - ws[w + 4]!) * 8192;
    const tmp10 = tmp0 + tmp3;
    const tmp13 = tmp0 - tmp3;
    const tmp11 = tmp1 + tmp2;
    const tmp12 = tmp1 - tmp2;
    tmp0 = ws[w + 7]!;
    tmp1 = ws[w + 5]!;
    tmp2 = ws[w + 3]!;
    tmp3 = ws[w + 1]!;
    z1 = tmp0 + tmp3;
    z2 = tmp1 + tmp2;
    z3 = tmp0 + tmp2;
    let z4 = tmp1 + tmp3;
    const z5 = (z3 + z4) * FIX_1_175875602;
    tmp0 *= FIX_0_298631336;
    tmp1 *= FIX_2_053119869;
    tmp2 *= FIX_3_072711026;
    tmp3 *= FIX_1_501321110;
    z1 *= -FIX_0_899976223;
    z2 *= -FIX_2_562915447;
    z3 = z3 * -FIX_1_961570560 + z5;
    z4 = z4 * -FIX_0_390180644 + z5;
    tmp0 += z1 + z3;
    tmp1 += z2 + z4;
    tmp2 += z2 + z3;
    tmp3 += z1 + z4;
    const o = outOff + row * stride;
    put(o, tmp10 + tmp3);
    put(o + 7, tmp10 - tmp3);
    put(o + 1, tmp11 + tmp2);
    put(o + 6, tmp11 - tmp2);
    put(o + 2, tmp12 + tmp1);
    put(o + 5, tmp12 - tmp1);
    put(o + 3, tmp13 + tmp0);
    put(o + 4, tmp13 - tmp0);
  }
}
