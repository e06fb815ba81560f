/*
 * Micro-kernels, instantiated once per instruction set (see privmed.c).
 * The including file defines: SFX (name suffix), TGT (target attribute),
 * MR (rows), W (floats per vector), NV (vectors per row), VT (vector type),
 * MT (mask type), MASK(n), VZERO, VSET1(x), VLOAD(p, m), VFMA(a, b, c) = a*b+c,
 * VADD(a, b), VSTORE(p, v, m), VSTOREU(p, v).
 */
#define NR (W * NV)
#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)

/*
 * crow[r][j] = act((accumulate ? crow[r][j] : 0) + bias[j] + sum_t sum_c rows[t][r][c] * bt[t][c*ldb + j])
 * for r < mr, j < nr (bias may be NULL).
 */
TGT static void CAT(k1_, SFX)(const float *const *rows, const float *const *bt, int ntaps, int C, long ldb, int mr, int nr,
                              float *const *crow, const float *bias, int act, int accumulate) {
  MT mk[NV];
  VT acc[MR][NV];
#pragma GCC unroll 4
  for (int v = 0; v < NV; v++) mk[v] = MASK(nr - v * W);
#pragma GCC unroll 16
  for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) acc[r][v] = VZERO;
  for (int t = 0; t < ntaps; t++) {
    const float *a[MR];
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++) a[r] = rows[t * MR + r];
    const float *b = bt[t];
    for (int c = 0; c < C; c++, b += ldb) {
      VT bv[NV];
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) bv[v] = VLOAD(b + v * W, mk[v]);
#pragma GCC unroll 16
      for (int r = 0; r < MR; r++) {
        VT av = VSET1(a[r][c]);
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++) acc[r][v] = VFMA(av, bv[v], acc[r][v]);
      }
    }
  }
  VT bb[NV];
#pragma GCC unroll 4
  for (int v = 0; v < NV; v++) bb[v] = bias ? VLOAD(bias + v * W, mk[v]) : VZERO;
#pragma GCC unroll 16
  for (int r = 0; r < MR; r++) {
    if (r >= mr) break;
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) {
      float *q = crow[r] + v * W;
      VT o = VADD(acc[r][v], bb[v]);
      if (accumulate) o = VADD(o, VLOAD(q, mk[v]));
      if (act == 1) o = VMAX(o, VZERO);
      else if (act == 2) o = VMIN(VMAX(o, VZERO), VSET1(6.0f));
      VSTORE(q, o, mk[v]);
    }
  }
}

/*
 * c[r*ldc + j] += sum over segments g, steps s < n[g]: p[g][s*sp + ro[r]] * b[g][s*sb + j]
 * for r < mr, j < nr. Rows past mr repeat row 0 and are not stored.
 */
TGT static void CAT(k2_, SFX)(const float *const *ps, const float *const *bs, const int *ns, int nseg, long sp, long sb,
                              int mr, int nr, float *c, long ldc) {
  MT mk[NV];
  VT acc[MR][NV];
#pragma GCC unroll 4
  for (int v = 0; v < NV; v++) mk[v] = MASK(nr - v * W);
#pragma GCC unroll 16
  for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) acc[r][v] = VZERO;
  for (int g = 0; g < nseg; g++) {
    const float *p = ps[g], *b = bs[g];
    int n = ns[g];
    if (mr == MR) {
      for (int s = 0; s < n; s++, p += sp, b += sb) {
        VT bv[NV];
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++) bv[v] = VLOAD(b + v * W, mk[v]);
#pragma GCC unroll 16
        for (int r = 0; r < MR; r++) {
          VT av = VSET1(p[r]);
#pragma GCC unroll 4
          for (int v = 0; v < NV; v++) acc[r][v] = VFMA(av, bv[v], acc[r][v]);
        }
      }
    } else {
      int ro[MR];
      for (int r = 0; r < MR; r++) ro[r] = r < mr ? r : 0;
      for (int s = 0; s < n; s++, p += sp, b += sb) {
        VT bv[NV];
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++) bv[v] = VLOAD(b + v * W, mk[v]);
#pragma GCC unroll 16
        for (int r = 0; r < MR; r++) {
          VT av = VSET1(p[ro[r]]);
#pragma GCC unroll 4
          for (int v = 0; v < NV; v++) acc[r][v] = VFMA(av, bv[v], acc[r][v]);
        }
      }
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < MR; r++) {
    if (r >= mr) break;
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) {
      float *q = c + r * ldc + v * W;
      VSTORE(q, VADD(VLOAD(q, mk[v]), acc[r][v]), mk[v]);
    }
  }
}

#undef NR
