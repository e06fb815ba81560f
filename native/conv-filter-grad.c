/*
 * Convolution filter gradients (NHWC, filter [KH, KW, CI, CO], dilation 1):
 * the batch's, and each sample's on its own (DP-SGD's per-sample gradients).
 * Both return 0, or -1 when memory ran out.
 */
#include <stdlib.h>
#include <string.h>
#include "privmed.h"

#define K2_CHUNK 256
/*
 * The x and dy rows of one pixel chunk stay within this many bytes while
 * every tile of a task sums over them; each chunk re-reads and re-writes the
 * task's slice of dw, so for large filters (ResNet's 512 channels: 9.4 MB) a
 * small chunk (it was 128 KB) made dw's traffic dominate.
 */
#define FG_CACHE_BYTES (512 * 1024)
#define MAX_SEGS 256

static inline int imin(int a, int b) { return a < b ? a : b; }
static inline int imax(int a, int b) { return a > b ? a : b; }

/* ---- filter gradient: tiles (tap, ci block, co block), each summed over all pixels ---- */

typedef struct {
  const pm_conv *cv;
  const float *x, *dy;
  float *dw;
  int CT, NT, ntasks, rows_per_chunk;
  long ntiles;
} fg_job;

static void fg_task(void *ctx, int task) {
  fg_job *j = ctx;
  const pm_conv *c = j->cv;
  const pm_isa *isa = pm_cur;
  const int MR = isa->mr, NR = isa->nr;
  const long t0 = j->ntiles * task / j->ntasks, t1 = j->ntiles * (task + 1) / j->ntasks;
  const float *ps[MAX_SEGS], *bs[MAX_SEGS];
  int ns[MAX_SEGS];
  for (long t = t0; t < t1; t++) {
    const int tap = (int)(t / ((long)j->CT * j->NT)), rem = (int)(t % ((long)j->CT * j->NT));
    const int ci0 = rem / j->NT * MR, co0 = rem % j->NT * NR;
    const int mr = imin(MR, c->CI - ci0), nr = imin(NR, c->CO - co0);
    for (int r = 0; r < mr; r++) memset(j->dw + ((long)tap * c->CI + ci0 + r) * c->CO + co0, 0, (size_t)nr * sizeof(float));
  }
  const long R = (long)c->N * c->OH;
  for (long r0 = 0; r0 < R; r0 += j->rows_per_chunk) {
    const long r1 = R < r0 + j->rows_per_chunk ? R : r0 + j->rows_per_chunk;
    for (long t = t0; t < t1; t++) {
      const int tap = (int)(t / ((long)j->CT * j->NT)), rem = (int)(t % ((long)j->CT * j->NT));
      const int ci0 = rem / j->NT * MR, co0 = rem % j->NT * NR;
      const int mr = imin(MR, c->CI - ci0), nr = imin(NR, c->CO - co0);
      const int kh = tap / c->KW, kw = tap % c->KW;
      const int lo = c->pl - kw <= 0 ? 0 : (c->pl - kw + c->sx - 1) / c->sx;
      const int last = c->W - 1 + c->pl - kw;
      const int hi = last < 0 ? 0 : imin(c->OW, last / c->sx + 1);
      if (lo >= hi) continue;
      int nseg = 0;
      for (long row = r0; row < r1; row++) {
        const long b = row / c->OH, oy = row % c->OH;
        const long iy = oy * c->sy - c->pt + kh;
        if (iy < 0 || iy >= c->H) continue;
        ps[nseg] = j->x + ((b * c->H + iy) * c->W + (long)lo * c->sx - c->pl + kw) * c->CI + ci0;
        bs[nseg] = j->dy + (row * c->OW + lo) * c->CO + co0;
        ns[nseg] = hi - lo;
        nseg++;
      }
      if (nseg > 0) {
        isa->k2(ps, bs, ns, nseg, (long)c->sx * c->CI, c->CO, mr, nr, j->dw + ((long)tap * c->CI + ci0) * c->CO + co0, c->CO);
      }
    }
  }
}

int pm_conv_filter_grad(const pm_conv *cv, const float *x, const float *dy, float *dw) {
  const int taps = cv->KH * cv->KW;
  if (cv->CI < PM_IM2COL_BELOW_CI) {
    float *cols = pm_im2col(cv, x);
    if (!cols) return -1;
    const long K = (long)taps * cv->CI;
    pm_gemm_atb(cols, K, dy, cv->CO, dw, cv->CO, (int)K, cv->CO, cv->N * cv->OH * cv->OW);
    free(cols);
    return 0;
  }
  const int MR = pm_cur->mr, NR = pm_cur->nr;
  fg_job j = {cv, x, dy, dw, (cv->CI + MR - 1) / MR, (cv->CO + NR - 1) / NR, 0, 0, 0};
  j.ntiles = (long)taps * j.CT * j.NT;
  j.ntasks = (int)(j.ntiles < 2L * pm_pool_threads() ? j.ntiles : 2L * pm_pool_threads());
  /* Pixels per chunk: their x and dy rows stay within FG_CACHE_BYTES. */
  const int px = imax(16, imin(K2_CHUNK, (FG_CACHE_BYTES) / ((cv->CI + cv->CO) * (int)sizeof(float))));
  j.rows_per_chunk = imax(1, imin(MAX_SEGS, px / imax(1, cv->OW)));
  pm_pool_run(fg_task, &j, j.ntasks);
  return 0;
}


/* ---- each sample's filter gradient, dw [N, KH, KW, CI, CO] ---- */

typedef struct {
  fg_job one; /* a one-sample job (N = 1) on sample 0's tensors */
  const float *cols;
  long sx, sdy, sdw, K;
  int per; /* tasks per sample */
} ps_job;

static void ps_task(void *ctx, int task) {
  const ps_job *k = ctx;
  const long b = task / k->per;
  if (k->cols) { /* im2col^T dy of one sample, on this thread */
    const pm_conv *c = k->one.cv;
    const long P = (long)c->OH * c->OW;
    pm_gemm_atb_serial(k->cols + b * P * k->K, k->K, k->one.dy + b * k->sdy, c->CO, k->one.dw + b * k->sdw, c->CO, (int)k->K, c->CO, (int)P);
    return;
  }
  fg_job j = k->one;
  j.x += b * k->sx, j.dy += b * k->sdy, j.dw += b * k->sdw;
  fg_task(&j, task % k->per);
}

/*
 * Samples are the tasks (or a few tasks each when there are fewer samples
 * than threads): a sample's x, dy and dw stay in one core's cache, and one
 * pool job replaces a job per sample. Each sample's sums are those of
 * pm_conv_filter_grad on that sample alone (same tiles, same chunks).
 */
int pm_conv_filter_grad_per_sample(const pm_conv *cv, const float *x, const float *dy, float *dw) {
  if (cv->N < 1) return 0;
  pm_conv one = *cv;
  one.N = 1;
  const int MR = pm_cur->mr, NR = pm_cur->nr, threads = pm_pool_threads();
  ps_job k = {.sx = (long)cv->H * cv->W * cv->CI, .sdy = (long)cv->OH * cv->OW * cv->CO, .K = (long)cv->KH * cv->KW * cv->CI};
  k.sdw = k.K * cv->CO;
  fg_job j = {&one, x, dy, dw, (cv->CI + MR - 1) / MR, (cv->CO + NR - 1) / NR, 0, 0, 0};
  j.ntiles = (long)cv->KH * cv->KW * j.CT * j.NT;
  float *cols = NULL;
  if (cv->CI < PM_IM2COL_BELOW_CI) {
    cols = pm_im2col(cv, x); /* all samples at once */
    if (!cols) return -1;
    k.per = 1;
  } else {
    k.per = (int)(cv->N >= 2 * threads ? 1 : (2 * threads + cv->N - 1) / cv->N);
    if (k.per > j.ntiles) k.per = (int)j.ntiles;
    const int px = imax(16, imin(K2_CHUNK, (FG_CACHE_BYTES) / ((cv->CI + cv->CO) * (int)sizeof(float))));
    j.rows_per_chunk = imax(1, imin(MAX_SEGS, px / imax(1, cv->OW)));
  }
  j.ntasks = k.per;
  k.one = j;
  k.cols = cols;
  if ((long)cv->N * k.per > 0x7FFFFF) {
    free(cols);
    return -1;
  }
  pm_pool_run(ps_task, &k, cv->N * k.per);
  free(cols);
  return 0;
}
