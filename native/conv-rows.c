/*
 * Forward convolution with few input channels and a wide filter (the 7x7/2
 * stem of ResNet-18): one implicit-GEMM tap per filter row, reading KW * CI
 * consecutive floats of an input row padded left and right, instead of an
 * im2col KH * KW times the size of the image. The same products are summed
 * in the same order as the im2col path, so the results are identical.
 */
#include <stdlib.h>
#include <string.h>
#include "privmed.h"

static inline int imin(int a, int b) { return a < b ? a : b; }
static inline int imax(int a, int b) { return a > b ? a : b; }

/* ---- rows padded left and right: xp[(b, iy), pl + ix] ---- */

typedef struct {
  const pm_conv *cv;
  const float *x;
  float *xp;
  long wp;
  int nrows;
} hpad_job;

static void hpad_task(void *ctx, int task) {
  hpad_job *j = ctx;
  const pm_conv *c = j->cv;
  const long R = (long)c->N * c->H, ci = c->CI, right = j->wp - c->pl - c->W;
  for (long row = R * task / j->nrows; row < R * (task + 1) / j->nrows; row++) {
    float *dst = j->xp + row * j->wp * ci;
    memset(dst, 0, (size_t)(c->pl * ci) * sizeof(float));
    const long inside = right >= 0 ? c->W : c->W + right;
    memcpy(dst + c->pl * ci, j->x + row * c->W * ci, (size_t)(inside * ci) * sizeof(float));
    if (right > 0) memset(dst + (c->pl + c->W) * ci, 0, (size_t)(right * ci) * sizeof(float));
  }
}

/* g: the forward GEMM's output, bias and activation already set (conv.c). */
int pm_conv_forward_rows(const pm_conv *cv, const float *x, const float *w, pm_igemm *g) {
  const long wp = (long)(cv->OW - 1) * cv->sx + cv->KW;
  if (wp < (long)cv->pl + 1) return -1;
  float *xp = malloc(sizeof(float) * (size_t)(cv->N * cv->H * wp * cv->CI) + 64);
  if (!xp) return -1;
  hpad_job hj = {cv, x, xp, wp, imax(1, imin(cv->N * cv->H, 4 * pm_pool_threads()))};
  pm_pool_run(hpad_task, &hj, hj.nrows);
  g->src = xp;
  g->sH = cv->H;
  g->sW = wp;
  g->sC = cv->CI;
  g->C = cv->KW * cv->CI;
  g->sy = cv->sy;
  g->sx = cv->sx;
  g->ntaps = cv->KH;
  for (int t = 0; t < cv->KH; t++) {
    g->ty[t] = t - cv->pt;
    g->tx[t] = 0;
    g->bt[t] = w + (long)t * cv->KW * cv->CI * cv->CO;
  }
  pm_igemm_run(g);
  free(xp);
  return 0;
}
