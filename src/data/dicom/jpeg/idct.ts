/**
 * The "slow but accurate" integer inverse DCT of the IJG library (the
 * Loeffler-Ligtenberg-Moschytz algorithm with 13-bit fixed-point constants,
 * ISLOW), so that our output matches libjpeg/dcmtk/gdcm bit for bit. Products
 * can exceed 32 bits for 12-bit data, so the arithmetic is done in doubles
 * (exact below 2^53); descaling multiplies by an exact power of two and floors.
 * Columns/rows whose AC terms are all zero take the same shortcut as IJG
 * (which gives identical results).
 */
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
const ONE = 8192; // 1 << CONST_BITS

const ws = new Float64Array(64);
const inp = new Float64Array(64);
const odd = new Float64Array(4);

/** The odd part of libjpeg's islow IDCT (inputs 7, 5, 3, 1), shared by the column and row passes; results in `odd`. */
function oddPart(tmp0: number, tmp1: number, tmp2: number, tmp3: number): void {
  let z1 = tmp0 + tmp3;
  let z2 = tmp1 + tmp2;
  let z3 = tmp0 + tmp2;
  let z4 = tmp1 + tmp3;
  const z5 = (z3 + z4) * FIX_1_175875602;
  z1 *= -FIX_0_899976223;
  z2 *= -FIX_2_562915447;
  z3 = z5 - z3 * FIX_1_961570560;
  z4 = z5 - z4 * FIX_0_390180644;
  odd[0] = tmp0 * FIX_0_298631336 + (z1 + z3);
  odd[1] = tmp1 * FIX_2_053119869 + (z2 + z4);
  odd[2] = tmp2 * FIX_3_072711026 + (z2 + z3);
  odd[3] = tmp3 * FIX_1_501321110 + (z1 + z4);
}

/**
 * coef: 64 quantised coefficients in natural (row-major) order starting at cOff;
 * quant: the quantisation table in natural order. Writes 8x8 samples into out.
 */
export function idctIslow(coef: Int32Array, cOff: number, quant: Int32Array, out: Int32Array, outOff: number, stride: number, precision: number): void {
  const pass1 = precision === 8 ? 2 : 1;
  const center = 1 << (precision - 1);
  const max = (1 << precision) - 1;
  // DESCALE(x, n) = floor((x + 2^(n-1)) / 2^n), with exact power-of-two scaling
  const n1 = 13 - pass1;
  const h1 = 2 ** (n1 - 1);
  const s1 = 2 ** -n1;
  const n2 = 13 + pass1 + 3;
  const h2 = 2 ** (n2 - 1);
  const s2 = 2 ** -n2;
  for (let i = 0; i < 64; i++) inp[i] = coef[cOff + i]! * quant[i]!;

  for (let col = 0; col < 8; col++) {
    if (inp[8 + col] === 0 && inp[16 + col] === 0 && inp[24 + col] === 0 && inp[32 + col] === 0 && inp[40 + col] === 0 && inp[48 + col] === 0 && inp[56 + col] === 0) {
      const dc = inp[col]! * (1 << pass1);
      for (let r = 0; r < 8; r++) ws[r * 8 + col] = dc;
      continue;
    }
    let z2 = inp[16 + col]!;
    let z3 = inp[48 + col]!;
    let z1 = (z2 + z3) * FIX_0_541196100;
    let tmp2 = z1 - z3 * FIX_1_847759065;
    let tmp3 = z1 + z2 * FIX_0_765366865;
    z2 = inp[col]!;
    z3 = inp[32 + col]!;
    let tmp0 = (z2 + z3) * ONE;
    let tmp1 = (z2 - z3) * ONE;
    const tmp10 = tmp0 + tmp3;
    const tmp13 = tmp0 - tmp3;
    const tmp11 = tmp1 + tmp2;
    const tmp12 = tmp1 - tmp2;
    oddPart(inp[56 + col]!, inp[40 + col]!, inp[24 + col]!, inp[8 + col]!);
    tmp0 = odd[0]!;
    tmp1 = odd[1]!;
    tmp2 = odd[2]!;
    tmp3 = odd[3]!;
    ws[col] = Math.floor((tmp10 + tmp3 + h1) * s1);
    ws[56 + col] = Math.floor((tmp10 - tmp3 + h1) * s1);
    ws[8 + col] = Math.floor((tmp11 + tmp2 + h1) * s1);
    ws[48 + col] = Math.floor((tmp11 - tmp2 + h1) * s1);
    ws[16 + col] = Math.floor((tmp12 + tmp1 + h1) * s1);
    ws[40 + col] = Math.floor((tmp12 - tmp1 + h1) * s1);
    ws[24 + col] = Math.floor((tmp13 + tmp0 + h1) * s1);
    ws[32 + col] = Math.floor((tmp13 - tmp0 + h1) * s1);
  }

  for (let row = 0; row < 8; row++) {
    const w = row * 8;
    const o = outOff + row * stride;
    if (ws[w + 1] === 0 && ws[w + 2] === 0 && ws[w + 3] === 0 && ws[w + 4] === 0 && ws[w + 5] === 0 && ws[w + 6] === 0 && ws[w + 7] === 0) {
      let v = Math.floor((ws[w]! + 2 ** (pass1 + 2)) * 2 ** -(pass1 + 3)) + center;
      v = v < 0 ? 0 : v > max ? max : v;
      for (let k = 0; k < 8; k++) out[o + k] = v;
      continue;
    }
    let z2 = ws[w + 2]!;
    let z3 = ws[w + 6]!;
    let z1 = (z2 + z3) * FIX_0_541196100;
    let tmp2 = z1 - z3 * FIX_1_847759065;
    let tmp3 = z1 + z2 * FIX_0_765366865;
    let tmp0 = (ws[w]! + ws[w + 4]!) * ONE;
    let tmp1 = (ws[w]! - ws[w + 4]!) * ONE;
    const tmp10 = tmp0 + tmp3;
    const tmp13 = tmp0 - tmp3;
    const tmp11 = tmp1 + tmp2;
    const tmp12 = tmp1 - tmp2;
    oddPart(ws[w + 7]!, ws[w + 5]!, ws[w + 3]!, ws[w + 1]!);
    tmp0 = odd[0]!;
    tmp1 = odd[1]!;
    tmp2 = odd[2]!;
    tmp3 = odd[3]!;
    let v: number;
    v = Math.floor((tmp10 + tmp3 + h2) * s2) + center;
    out[o] = v < 0 ? 0 : v > max ? max : v;
    v = Math.floor((tmp10 - tmp3 + h2) * s2) + center;
    out[o + 7] = v < 0 ? 0 : v > max ? max : v;
    v = Math.floor((tmp11 + tmp2 + h2) * s2) + center;
    out[o + 1] = v < 0 ? 0 : v > max ? max : v;
    v = Math.floor((tmp11 - tmp2 + h2) * s2) + center;
    out[o + 6] = v < 0 ? 0 : v > max ? max : v;
    v = Math.floor((tmp12 + tmp1 + h2) * s2) + center;
    out[o + 2] = v < 0 ? 0 : v > max ? max : v;
    v = Math.floor((tmp12 - tmp1 + h2) * s2) + center;
    out[o + 5] = v < 0 ? 0 : v > max ? max : v;
    v = Math.floor((tmp13 + tmp0 + h2) * s2) + center;
    out[o + 3] = v < 0 ? 0 : v > max ? max : v;
    v = Math.floor((tmp13 - tmp0 + h2) * s2) + center;
    out[o + 4] = v < 0 ? 0 : v > max ? max : v;
  }
}
