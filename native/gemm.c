/* GEMM drivers: tiling, cache blocking and the split into pool tasks. */
#include <stdlib.h>
#include <string.h>
#include "privmed.h"

/* Bytes of B one task keeps hot while it sweeps its rows (half of a 1 MB L2). */
#define B_BLOCK_BYTES (256 * 1024)
/* Steps summed in registers before they are added to the output (accuracy and locality). */
#define K2_CHUNK 256
#define TASKS_PER_THREAD 6

static float *zero_buf;
static size_t zero_len;

const float *pm_zeros(size_t n) {
  if (n > zero_len) {
    free(zero_buf);
    zero_buf = calloc(n, sizeof(float));
    zero_len = zero_buf ? n : 0;
  }
  return zero_buf;
}

/* B rows farther apart than this are packed per task (rows at a large power-of-two stride share few L2 sets). */
#define PACK_MIN_LDB 128

/* Each pool thread's packing buffer, grown as needed. */
static _Thread_local float *pack_buf;
static _Thread_local size_t pack_len;

static float *pack_space(size_t n) {
  if (n > pack_len) {
    free(pack_buf);
    pack_buf = malloc(n * sizeof(float));
    pack_len = pack_buf ? n : 0;
  }
  return pack_buf;
}

static inline int imin(int a, int b) { return a < b ? a : b; }
static inline int imax(int a, int b) { return a > b ? a : b; }

typedef struct {
  pm_igemm *g;
  long M;
  int MT, NT, ppb, nblocks, mt_per_task;
  const float *zeros; /* at least C floats: the source row of taps outside the image */
} igemm_job;

static void igemm_task(void *ctx, int task) {
  igemm_job *j = ctx;
  pm_igemm *g = j->g;
  const pm_isa *isa = pm_cur;
  const int MR = isa->mr, NR = isa->nr;
  const int mchunk = task / j->nblocks, nblock = task % j->nblocks;
  const int mt0 = mchunk * j->mt_per_task, mt1 = imin(j->MT, mt0 + j->mt_per_task);
  const int np0 = nblock * j->ppb, np1 = imin(j->NT, np0 + j->ppb);
  const float *zeros = j->zeros;
  const float *rows[PM_MAX_TAPS * PM_MAX_MR];
  const float *bt[PM_MAX_TAPS];
  float *crow[PM_MAX_MR];
  const long pix = (long)g->gh * g->gw;
  /*
   * With several row tiles to sweep, this task's B panels are copied into
   * contiguous [tap][channel][NR] blocks first: the same values in the same
   * order (results are unchanged), read at unit stride and kept in L2.
   */
  const float *pbt[PM_MAX_TAPS * 8];
  const long panel = (long)g->ntaps * g->C * NR;
  const int packed = mt1 - mt0 >= 2 && g->ldb >= PACK_MIN_LDB && np1 - np0 <= 8 && pack_space((size_t)(panel * (np1 - np0))) != NULL;
  if (packed) {
    for (int np = np0; np < np1; np++) {
      const int n0 = np * NR, nr = imin(NR, g->N - n0);
      float *dst = pack_buf + (long)(np - np0) * panel;
      for (int t = 0; t < g->ntaps; t++) {
        pbt[(np - np0) * g->ntaps + t] = dst + (long)t * g->C * NR;
        const float *src = g->bt[t] + n0;
        for (int c = 0; c < g->C; c++) memcpy(dst + ((long)t * g->C + c) * NR, src + c * g->ldb, (size_t)nr * sizeof(float));
      }
    }
  }
  for (int mt = mt0; mt < mt1; mt++) {
    const long m0 = (long)mt * MR;
    const int mr = (int)(j->M - m0 < MR ? j->M - m0 : MR);
    int rb[PM_MAX_MR], ry[PM_MAX_MR], rx[PM_MAX_MR];
    for (int r = 0; r < MR; r++) {
      long m = m0 + (r < mr ? r : mr - 1);
      rb[r] = (int)(m / pix);
      long rem = m % pix;
      ry[r] = (int)(rem / g->gw);
      rx[r] = (int)(rem % g->gw);
    }
    for (int t = 0; t < g->ntaps; t++) {
      for (int r = 0; r < MR; r++) {
        long iy = (long)ry[r] * g->sy + g->by + g->ty[t];
        long ix = (long)rx[r] * g->sx + g->bx + g->tx[t];
        rows[t * MR + r] = (iy < 0 || iy >= g->sH || ix < 0 || ix >= g->sW)
                               ? zeros
                               : g->src + ((rb[r] * g->sH + iy) * g->sW + ix) * g->sC + g->c_off;
      }
    }
    for (int r = 0; r < mr; r++) {
      long oy = (long)ry[r] * g->dsy + g->dy0, ox = (long)rx[r] * g->dsx + g->dx0;
      crow[r] = g->dst + ((rb[r] * g->dH + oy) * g->dW + ox) * g->ldc;
    }
    for (int np = np0; np < np1; np++) {
      const int n0 = np * NR, nr = imin(NR, g->N - n0);
      float *cr[PM_MAX_MR];
      for (int r = 0; r < mr; r++) cr[r] = crow[r] + n0;
      const float *const *b = packed ? (const float *const *)pbt + (np - np0) * g->ntaps : bt;
      if (!packed)
        for (int t = 0; t < g->ntaps; t++) bt[t] = g->bt[t] + n0;
      isa->k1(rows, b, g->ntaps, g->C, packed ? NR : g->ldb, mr, nr, cr, g->bias ? g->bias + n0 : NULL, g->act, g->accumulate);
    }
  }
}

void pm_igemm_run(pm_igemm *g) {
  const int MR = pm_cur->mr, NR = pm_cur->nr;
  igemm_job j;
  j.g = g;
  j.M = (long)g->nb * g->gh * g->gw;
  if (j.M == 0 || g->N == 0) return;
  j.zeros = pm_zeros((size_t)g->C + 64);
  j.MT = (int)((j.M + MR - 1) / MR);
  j.NT = (g->N + NR - 1) / NR;
  long kbytes = (long)g->ntaps * g->C * NR * (long)sizeof(float);
  j.ppb = kbytes > 0 ? imax(1, imin(j.NT, (int)(B_BLOCK_BYTES / kbytes))) : j.NT;
  j.nblocks = (j.NT + j.ppb - 1) / j.ppb;
  int want = TASKS_PER_THREAD * pm_pool_threads();
  int mchunks = imax(1, imin(j.MT, (want + j.nblocks - 1) / j.nblocks));
  j.mt_per_task = (j.MT + mchunks - 1) / mchunks;
  mchunks = (j.MT + j.mt_per_task - 1) / j.mt_per_task;
  pm_pool_run(igemm_task, &j, mchunks * j.nblocks);
}

/* ---- c = a^T b: tiles of c, each summed over K in chunks ---- */

typedef struct {
  const float *a, *b;
  float *c;
  long lda, ldb, ldc;
  int M, N, K, MT, NT, ntasks;
} atb_job;

static void atb_task(void *ctx, int task) {
  atb_job *j = ctx;
  const pm_isa *isa = pm_cur;
  const int MR = isa->mr, NR = isa->nr;
  const long ntiles = (long)j->MT * j->NT;
  const long t0 = ntiles * task / j->ntasks, t1 = ntiles * (task + 1) / j->ntasks;
  for (long t = t0; t < t1; t++) {
    const int m0 = (int)(t / j->NT) * MR, n0 = (int)(t % j->NT) * NR;
    const int mr = imin(MR, j->M - m0), nr = imin(NR, j->N - n0);
    for (int r = 0; r < mr; r++) memset(j->c + (long)(m0 + r) * j->ldc + n0, 0, (size_t)nr * sizeof(float));
  }
  /* All of this task's tiles take one chunk of K while it is in cache. */
  for (int k0 = 0; k0 < j->K; k0 += K2_CHUNK) {
    const int n = imin(K2_CHUNK, j->K - k0);
    for (long t = t0; t < t1; t++) {
      const int m0 = (int)(t / j->NT) * MR, n0 = (int)(t % j->NT) * NR;
      const int mr = imin(MR, j->M - m0), nr = imin(NR, j->N - n0);
      const float *p = j->a + (long)k0 * j->lda + m0, *b = j->b + (long)k0 * j->ldb + n0;
      isa->k2(&p, &b, &n, 1, j->lda, j->ldb, mr, nr, j->c + (long)m0 * j->ldc + n0, j->ldc);
    }
  }
}

void pm_gemm_atb(const float *a, long lda, const float *b, long ldb, float *c, long ldc, int M, int N, int K) {
  const int MR = pm_cur->mr, NR = pm_cur->nr;
  if (M == 0 || N == 0) return;
  atb_job j = {a, b, c, lda, ldb, ldc, M, N, K, (M + MR - 1) / MR, (N + NR - 1) / NR, 0};
  long ntiles = (long)j.MT * j.NT;
  j.ntasks = (int)(ntiles < pm_pool_threads() ? ntiles : pm_pool_threads());
  pm_pool_run(atb_task, &j, j.ntasks);
}

void pm_gemm_atb_serial(const float *a, long lda, const float *b, long ldb, float *c, long ldc, int M, int N, int K) {
  const int MR = pm_cur->mr, NR = pm_cur->nr;
  if (M == 0 || N == 0) return;
  atb_job j = {a, b, c, lda, ldb, ldc, M, N, K, (M + MR - 1) / MR, (N + NR - 1) / NR, 1};
  atb_task(&j, 0);
}

/* ---- cache-blocked transpose ---- */

typedef struct {
  const float *src;
  float *dst;
  long rows, cols;
  int nblocks;
} tr_job;

#define TB 32

static void tr_task(void *ctx, int task) {
  tr_job *j = ctx;
  const long rb = (j->rows + TB - 1) / TB;
  for (long blk = (long)task * rb / j->nblocks; blk < (long)(task + 1) * rb / j->nblocks; blk++) {
    const long r0 = blk * TB, r1 = r0 + TB < j->rows ? r0 + TB : j->rows;
    for (long c0 = 0; c0 < j->cols; c0 += TB) {
      const long c1 = c0 + TB < j->cols ? c0 + TB : j->cols;
      for (long r = r0; r < r1; r++)
        for (long c = c0; c < c1; c++) j->dst[c * j->rows + r] = j->src[r * j->cols + c];
    }
  }
}

void pm_transpose(const float *src, float *dst, long rows, long cols) {
  const long rb = (rows + TB - 1) / TB;
  tr_job j = {src, dst, rows, cols, (int)(rb < 4L * pm_pool_threads() ? rb : 4L * pm_pool_threads())};
  pm_pool_run(tr_task, &j, j.nblocks);
}
