/*
 * Convolutions (NHWC, filter [KH, KW, CI, CO], dilation 1) and matrix products
 * on top of the GEMM drivers. Every function returns 0, or -1 when it cannot
 * take the case (the caller then uses the WebAssembly kernel) or memory ran out.
 */
#include <stdlib.h>
#include <string.h>
#include "privmed.h"

/* Below this many input channels a tap's reduction is too short: an explicit im2col, or row taps (conv-rows.c). */
#define IM2COL_BELOW_CI PM_IM2COL_BELOW_CI

static inline int imin(int a, int b) { return a < b ? a : b; }
static inline int imax(int a, int b) { return a > b ? a : b; }

/* ---- im2col: cols[(b, oy, ox), (kh, kw, ci)] ---- */

typedef struct {
  const pm_conv *cv;
  const float *x;
  float *cols;
  int nrows;
} im2col_job;

static void im2col_task(void *ctx, int task) {
  im2col_job *j = ctx;
  const pm_conv *c = j->cv;
  const long K = (long)c->KH * c->KW * c->CI;
  const long R = (long)c->N * c->OH;
  for (long row = R * task / j->nrows; row < R * (task + 1) / j->nrows; row++) {
    const long b = row / c->OH, oy = row % c->OH;
    for (int ox = 0; ox < c->OW; ox++) {
      float *dst = j->cols + (row * c->OW + ox) * K;
      const long ix0 = (long)ox * c->sx - c->pl;
      /* Taps kw in [lo, hi) lie inside the row: one contiguous copy. */
      const long lo = ix0 < 0 ? -ix0 : 0, hi = c->W - ix0 < c->KW ? c->W - ix0 : c->KW;
      for (int kh = 0; kh < c->KH; kh++, dst += (long)c->KW * c->CI) {
        const long iy = oy * c->sy - c->pt + kh;
        if (iy < 0 || iy >= c->H || lo >= hi) {
          memset(dst, 0, (size_t)c->KW * c->CI * sizeof(float));
          continue;
        }
        if (lo > 0) memset(dst, 0, (size_t)lo * c->CI * sizeof(float));
        memcpy(dst + lo * c->CI, j->x + ((b * c->H + iy) * c->W + ix0 + lo) * c->CI, (size_t)(hi - lo) * c->CI * sizeof(float));
        if (hi < c->KW) memset(dst + hi * c->CI, 0, (size_t)(c->KW - hi) * c->CI * sizeof(float));
      }
    }
  }
}

float *pm_im2col(const pm_conv *cv, const float *x) {
  size_t n = (size_t)cv->N * cv->OH * cv->OW * cv->KH * cv->KW * cv->CI;
  float *cols = malloc(n * sizeof(float) + 64);
  if (!cols) return NULL;
  im2col_job j = {cv, x, cols, imax(1, imin(cv->N * cv->OH, 4 * pm_pool_threads()))};
  pm_pool_run(im2col_task, &j, j.nrows);
  return cols;
}

static void base_igemm(pm_igemm *g, const pm_conv *cv) {
  memset(g, 0, sizeof *g);
  g->nb = cv->N;
  g->gh = cv->OH;
  g->gw = cv->OW;
  g->dH = cv->OH;
  g->dW = cv->OW;
  g->dsy = g->dsx = 1;
}

int pm_conv_forward(const pm_conv *cv, const float *x, const float *w, const float *bias, int act, float *y) {
  pm_igemm g;
  base_igemm(&g, cv);
  g.N = cv->CO;
  g.dst = y;
  g.ldc = cv->CO;
  g.ldb = cv->CO;
  g.bias = bias;
  g.act = act;
  const int taps = cv->KH * cv->KW;
  if (cv->CI < IM2COL_BELOW_CI && cv->KW * cv->CI >= PM_ROW_TAPS_MIN && cv->KH <= PM_MAX_TAPS) return pm_conv_forward_rows(cv, x, w, &g);
  if (cv->CI < IM2COL_BELOW_CI || taps > PM_MAX_TAPS) {
    float *cols = pm_im2col(cv, x);
    if (!cols) return -1;
    g.src = cols;
    g.sH = cv->OH;
    g.sW = cv->OW;
    g.sC = (long)taps * cv->CI;
    g.C = taps * cv->CI;
    g.sy = g.sx = 1;
    g.ntaps = 1;
    g.bt[0] = w;
    pm_igemm_run(&g);
    free(cols);
    return 0;
  }
  g.src = x;
  g.sH = cv->H;
  g.sW = cv->W;
  g.sC = cv->CI;
  g.C = cv->CI;
  g.sy = cv->sy;
  g.sx = cv->sx;
  g.ntaps = taps;
  for (int t = 0; t < taps; t++) {
    g.ty[t] = t / cv->KW - cv->pt;
    g.tx[t] = t % cv->KW - cv->pl;
    g.bt[t] = w + (long)t * cv->CI * cv->CO;
  }
  pm_igemm_run(&g);
  return 0;
}

/* ---- input gradient: one implicit GEMM over dy per stride phase ---- */

int pm_conv_input_grad(const pm_conv *cv, const float *dy, const float *w, float *dx) {
  const int taps = cv->KH * cv->KW;
  for (int ry = 0; ry < cv->sy; ry++) {
    int n = 0;
    for (int kh = 0; kh < cv->KH; kh++) n += ((ry + cv->pt - kh) % cv->sy + cv->sy) % cv->sy == 0;
    for (int rx = 0; rx < cv->sx; rx++) {
      int m = 0;
      for (int kw = 0; kw < cv->KW; kw++) m += ((rx + cv->pl - kw) % cv->sx + cv->sx) % cv->sx == 0;
      if (n * m > PM_MAX_TAPS) return -1;
    }
  }
  float *wt = malloc((size_t)taps * cv->CI * cv->CO * sizeof(float) + 64);
  if (!wt) return -1;
  for (int t = 0; t < taps; t++) pm_transpose(w + (long)t * cv->CI * cv->CO, wt + (long)t * cv->CI * cv->CO, cv->CI, cv->CO);
  for (int ry = 0; ry < cv->sy; ry++) {
    for (int rx = 0; rx < cv->sx; rx++) {
      pm_igemm g;
      memset(&g, 0, sizeof g);
      g.nb = cv->N;
      g.gh = cv->H > ry ? (cv->H - ry + cv->sy - 1) / cv->sy : 0;
      g.gw = cv->W > rx ? (cv->W - rx + cv->sx - 1) / cv->sx : 0;
      if (g.gh == 0 || g.gw == 0) continue;
      g.src = dy;
      g.sH = cv->OH;
      g.sW = cv->OW;
      g.sC = cv->CO;
      g.C = cv->CO;
      g.sy = g.sx = 1;
      for (int kh = 0; kh < cv->KH; kh++) {
        if (((ry + cv->pt - kh) % cv->sy + cv->sy) % cv->sy != 0) continue;
        for (int kw = 0; kw < cv->KW; kw++) {
          if (((rx + cv->pl - kw) % cv->sx + cv->sx) % cv->sx != 0) continue;
          g.ty[g.ntaps] = (ry + cv->pt - kh) / cv->sy;
          g.tx[g.ntaps] = (rx + cv->pl - kw) / cv->sx;
          g.bt[g.ntaps] = wt + (long)(kh * cv->KW + kw) * cv->CO * cv->CI;
          g.ntaps++;
        }
      }
      g.ldb = cv->CI;
      g.N = cv->CI;
      g.dst = dx;
      g.dH = cv->H;
      g.dW = cv->W;
      g.ldc = cv->CI;
      g.dsy = cv->sy;
      g.dsx = cv->sx;
      g.dy0 = ry;
      g.dx0 = rx;
      pm_igemm_run(&g);
    }
  }
  free(wt);
  return 0;
}

/* ---- matrix product c[M, N] = op(a) op(b) (+ bias, activation) ---- */

int pm_matmul(const float *a, const float *b, float *c, const float *bias, int act, int M, int K, int N, int ta, int tb) {
  float *bt = NULL;
  if (tb) { /* b is [N, K] */
    bt = malloc((size_t)N * K * sizeof(float) + 64);
    if (!bt) return -1;
    pm_transpose(b, bt, N, K);
    b = bt;
  }
  if (ta) { /* a is [K, M] */
    pm_gemm_atb(a, M, b, N, c, N, M, N, K);
    if (bias || act != PM_ACT_NONE) {
      for (long i = 0; i < (long)M * N; i++) {
        float v = c[i] + (bias ? bias[i % N] : 0.0f);
        if (act == PM_ACT_RELU) v = v > 0 ? v : 0;
        else if (act == PM_ACT_RELU6) v = v < 0 ? 0 : v > 6 ? 6 : v;
        c[i] = v;
      }
    }
  } else {
    pm_igemm g;
    memset(&g, 0, sizeof g);
    g.src = a;
    g.sH = 1;
    g.sW = M;
    g.sC = K;
    g.C = K;
    g.nb = 1;
    g.gh = 1;
    g.gw = M;
    g.sy = g.sx = 1;
    g.ntaps = 1;
    g.bt[0] = b;
    g.ldb = N;
    g.N = N;
    g.dst = c;
    g.dH = 1;
    g.dW = M;
    g.ldc = N;
    g.dsy = g.dsx = 1;
    g.bias = bias;
    g.act = act;
    pm_igemm_run(&g);
  }
  free(bt);
  return 0;
}
