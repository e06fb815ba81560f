/*
 * Fused normalisation, forward (statistics + normalise + scale/shift) and
 * gradient (dx, dgamma, dbeta), for an NHWC tensor viewed as [N, S, C] with
 * the C channels split into G groups: statistics per (sample, group) over S
 * pixels x C/G channels. GroupNorm is (N, H*W, C, groups); BatchNorm is
 * (1, batch*H*W, C, C). Sums are in double, as tfjs-backend-cpu's are; the
 * mean comes first and the variance from squared deviations (two passes), as
 * tf.moments computes them.
 */
#include <math.h>
#include <stdlib.h>
#include "privmed.h"

/* Pixels per task: enough work to pay for a task, few enough for balance. */
#define MIN_TASK_FLOATS (16 * 1024)

typedef struct {
  const float *x, *dy, *gamma, *beta;
  float *y, *dx;
  const double *k1, *k2, *k3; /* per (n, c) coefficients: scale, mean, ... (see each pass) */
  double *part;               /* [ntasks][2 * C] partial sums */
  long S;
  int N, C, G, chunks, pass;
} norm_job;

static void chunk_range(const norm_job *j, int task, int *n, long *s0, long *s1) {
  *n = task / j->chunks;
  const int k = task % j->chunks;
  *s0 = j->S * k / j->chunks;
  *s1 = j->S * (k + 1) / j->chunks;
}

enum { P_SUM, P_SQDEV, P_GRADSUMS, P_NORMALISE, P_DX };

static void norm_task(void *ctx, int task) {
  norm_job *j = ctx;
  int n;
  long s0, s1;
  chunk_range(j, task, &n, &s0, &s1);
  const int C = j->C;
  double *restrict p = j->part + (long)task * 2 * C, *restrict q = p + C;
  const size_t base = ((size_t)n * j->S) * C;
  if (j->pass == P_SUM || j->pass == P_SQDEV || j->pass == P_GRADSUMS) {
    for (int c = 0; c < 2 * C; c++) p[c] = 0;
  }
  for (long s = s0; s < s1; s++) {
    const size_t o = base + (size_t)s * C;
    const float *restrict x = j->x + o;
    switch (j->pass) {
      case P_SUM:
        for (int c = 0; c < C; c++) p[c] += x[c];
        break;
      case P_SQDEV: {
        const double *restrict m = j->k2 + (size_t)n * C;
        for (int c = 0; c < C; c++) {
          const double d = (double)x[c] - m[c];
          p[c] += d * d;
        }
        break;
      }
      case P_GRADSUMS: {
        const float *restrict dy = j->dy + o;
        const double *restrict m = j->k2 + (size_t)n * C, *restrict r = j->k1 + (size_t)n * C;
        for (int c = 0; c < C; c++) {
          const double xh = ((double)x[c] - m[c]) * r[c];
          p[c] += dy[c];
          q[c] += dy[c] * xh;
        }
        break;
      }
      case P_NORMALISE: {
        float *restrict y = j->y + o;
        const double *restrict a = j->k1 + (size_t)n * C, *restrict m = j->k2 + (size_t)n * C;
        const float *restrict beta = j->beta;
        for (int c = 0; c < C; c++) y[c] = (float)(((double)x[c] - m[c]) * a[c] + beta[c]);
        break;
      }
      default: { /* P_DX */
        const float *restrict dy = j->dy + o;
        float *restrict dx = j->dx + o;
        const double *restrict k1 = j->k1 + (size_t)n * 3 * C, *restrict k2 = k1 + C, *restrict k3 = k2 + C, *restrict k0 = j->k3 + (size_t)n * C;
        for (int c = 0; c < C; c++) dx[c] = (float)(dy[c] * k1[c] - ((double)x[c] - k3[c]) * k2[c] - k0[c]);
        break;
      }
    }
  }
}

/* Splits each sample's S pixels into chunks so that there are a few tasks per thread. */
static int plan_chunks(long S, int N, int C) {
  const long want = 4L * pm_pool_threads();
  long chunks = (want + N - 1) / N;
  const long max_by_size = (S * C) / MIN_TASK_FLOATS;
  if (chunks > max_by_size) chunks = max_by_size;
  if (chunks > S) chunks = S;
  return chunks < 1 ? 1 : (int)chunks;
}

/* Per-(n, c) totals of the partial sums (offset 0 or C in each task's block) into out[N][C]. */
static void reduce_parts(const norm_job *j, int which, double *out) {
  const int C = j->C;
  for (int n = 0; n < j->N; n++) {
    double *o = out + (size_t)n * C;
    for (int c = 0; c < C; c++) o[c] = 0;
    for (int k = 0; k < j->chunks; k++) {
      const double *p = j->part + ((size_t)n * j->chunks + k) * 2 * C + which * C;
      for (int c = 0; c < C; c++) o[c] += p[c];
    }
  }
}

/* Group totals of per-(n, c) values, weighted by w[c] when w is given. */
static void group_totals(const double *v, const float *w, int N, int C, int G, double *out) {
  const int cg = C / G;
  for (int n = 0; n < N; n++)
    for (int g = 0; g < G; g++) {
      double t = 0;
      for (int c = g * cg; c < (g + 1) * cg; c++) t += v[(size_t)n * C + c] * (w ? w[c] : 1.0);
      out[n * G + g] = t;
    }
}

int pm_norm_forward(const float *x, const float *gamma, const float *beta, float *y, float *mean_out, float *var_out, int N, long S, int C, int G,
                    float eps) {
  if (N < 1 || S < 1 || C < 1 || G < 1 || C % G != 0) return -1;
  norm_job j = {.x = x, .gamma = gamma, .beta = beta, .y = y, .S = S, .N = N, .C = C, .G = G};
  j.chunks = plan_chunks(S, N, C);
  const int ntasks = N * j.chunks;
  const size_t NC = (size_t)N * C, NG = (size_t)N * G;
  double *part = malloc(sizeof(double) * ((size_t)ntasks * 2 * C + 3 * NC + 3 * NG));
  if (!part) return -1;
  double *tot = part + (size_t)ntasks * 2 * C, *a = tot + NC, *m = a + NC, *mean = m + NC, *var = mean + NG, *rstd = var + NG;
  const double count = (double)S * (C / G);
  j.part = part;
  j.pass = P_SUM;
  pm_pool_run(norm_task, &j, ntasks);
  reduce_parts(&j, 0, tot);
  group_totals(tot, NULL, N, C, G, mean);
  for (size_t g = 0; g < NG; g++) mean[g] /= count;
  const int cg = C / G;
  for (size_t i = 0; i < NC; i++) m[i] = mean[(i / C) * G + (i % C) / cg];
  j.k2 = m;
  j.pass = P_SQDEV;
  pm_pool_run(norm_task, &j, ntasks);
  reduce_parts(&j, 0, tot);
  group_totals(tot, NULL, N, C, G, var);
  for (size_t g = 0; g < NG; g++) {
    /* As tfjs: the variance rounds to float32, then rsqrt(variance + eps) in float32. */
    const float v = (float)(var[g] / count);
    var[g] = v;
    rstd[g] = 1.0f / sqrtf(v + eps);
    mean_out[g] = (float)mean[g];
    var_out[g] = v;
  }
  for (size_t i = 0; i < NC; i++) a[i] = rstd[(i / C) * G + (i % C) / cg] * gamma[i % C];
  j.k1 = a;
  j.pass = P_NORMALISE;
  pm_pool_run(norm_task, &j, ntasks);
  free(part);
  return 0;
}

int pm_norm_backward(const float *dy, const float *x, const float *mean_in, const float *var_in, const float *gamma, float *dx, float *dgamma,
                     float *dbeta, int N, long S, int C, int G, float eps) {
  if (N < 1 || S < 1 || C < 1 || G < 1 || C % G != 0) return -1;
  norm_job j = {.x = x, .dy = dy, .gamma = gamma, .dx = dx, .S = S, .N = N, .C = C, .G = G};
  j.chunks = plan_chunks(S, N, C);
  const int ntasks = N * j.chunks;
  const size_t NC = (size_t)N * C, NG = (size_t)N * G;
  double *part = malloc(sizeof(double) * ((size_t)ntasks * 2 * C + 8 * NC + 4 * NG));
  if (!part) return -1;
  double *sdy = part + (size_t)ntasks * 2 * C, *sdyx = sdy + NC, *k = sdyx + NC, *k0 = k + 3 * NC;
  double *mean = k0 + NC, *rstd = mean + NG, *A = rstd + NG, *B = A + NG, *mc = B + NG, *rc = mc + NC;
  for (size_t g = 0; g < NG; g++) {
    mean[g] = mean_in[g];
    rstd[g] = 1.0f / sqrtf(var_in[g] + eps);
  }
  const int cg = C / G;
  for (size_t i = 0; i < NC; i++) {
    mc[i] = mean[(i / C) * G + (i % C) / cg];
    rc[i] = rstd[(i / C) * G + (i % C) / cg];
  }
  j.part = part;
  j.k1 = rc;
  j.k2 = mc;
  j.pass = P_GRADSUMS;
  pm_pool_run(norm_task, &j, ntasks);
  reduce_parts(&j, 0, sdy);
  reduce_parts(&j, 1, sdyx);
  for (int c = 0; c < C; c++) {
    double b = 0, gm = 0;
    for (int n = 0; n < N; n++) {
      b += sdy[(size_t)n * C + c];
      gm += sdyx[(size_t)n * C + c];
    }
    dbeta[c] = (float)b;
    dgamma[c] = (float)gm;
  }
  /* dx = rstd * (dy*gamma - mean(dy*gamma) - xhat * mean(dy*gamma*xhat)) over each group. */
  group_totals(sdy, gamma, N, C, G, A);
  group_totals(sdyx, gamma, N, C, G, B);
  const double count = (double)S * (C / G);
  for (int n = 0; n < N; n++)
    for (int c = 0; c < C; c++) {
      const int g = n * G + c / cg;
      double *kn = k + (size_t)n * 3 * C;
      kn[c] = rstd[g] * gamma[c];
      kn[C + c] = rstd[g] * rstd[g] * B[g] / count;
      kn[2 * C + c] = mean[g];
      k0[(size_t)n * C + c] = rstd[g] * A[g] / count;
    }
  j.k1 = k;
  j.k3 = k0;
  j.k2 = NULL;
  j.pass = P_DX;
  pm_pool_run(norm_task, &j, ntasks);
  free(part);
  return 0;
}

/*
 * Each sample's gradient of the norm's scale and shift (DP-SGD's per-sample
 * rule): dgamma[n][c] = sum_s dy * xhat, dbeta[n][c] = sum_s dy, in double,
 * xhat from the forward's statistics as in pm_norm_backward.
 */
int pm_norm_param_grads(const float *dy, const float *x, const float *mean_in, const float *var_in, float *dgamma, float *dbeta, int N, long S, int C,
                        int G, float eps) {
  if (N < 1 || S < 1 || C < 1 || G < 1 || C % G != 0) return -1;
  norm_job j = {.x = x, .dy = dy, .S = S, .N = N, .C = C, .G = G};
  j.chunks = plan_chunks(S, N, C);
  const int ntasks = N * j.chunks;
  const size_t NC = (size_t)N * C;
  double *part = malloc(sizeof(double) * ((size_t)ntasks * 2 * C + 4 * NC));
  if (!part) return -1;
  double *sdy = part + (size_t)ntasks * 2 * C, *sdyx = sdy + NC, *mc = sdyx + NC, *rc = mc + NC;
  const int cg = C / G;
  for (size_t i = 0; i < NC; i++) {
    const size_t g = (i / C) * G + (i % C) / cg;
    mc[i] = mean_in[g];
    rc[i] = 1.0f / sqrtf(var_in[g] + eps);
  }
  j.part = part;
  j.k1 = rc;
  j.k2 = mc;
  j.pass = P_GRADSUMS;
  pm_pool_run(norm_task, &j, ntasks);
  reduce_parts(&j, 0, sdy);
  reduce_parts(&j, 1, sdyx);
  for (size_t i = 0; i < NC; i++) {
    dbeta[i] = (float)sdy[i];
    dgamma[i] = (float)sdyx[i];
  }
  free(part);
  return 0;
}

/* BatchNorm with given statistics (inference): y = (x - mean[c]) * scale[c] / sqrt(var[c] + eps) + offset[c]. */
typedef struct {
  const float *x;
  float *y;
  const double *a, *m, *b;
  long rows;
  int C, ntasks;
} affine_job;

static void affine_task(void *ctx, int task) {
  affine_job *j = ctx;
  const int C = j->C;
  const double *restrict a = j->a, *restrict m = j->m, *restrict b = j->b;
  for (long r = j->rows * task / j->ntasks; r < j->rows * (task + 1) / j->ntasks; r++) {
    const float *restrict x = j->x + r * C;
    float *restrict y = j->y + r * C;
    for (int c = 0; c < C; c++) y[c] = (float)(((double)x[c] - m[c]) * a[c] + b[c]);
  }
}

int pm_batch_norm_infer(const float *x, const float *mean, const float *var, const float *scale, const float *offset, float eps, float *y, long n, int C) {
  if (C < 1 || n % C != 0) return -1;
  double *k = malloc(sizeof(double) * 3 * C);
  if (!k) return -1;
  for (int c = 0; c < C; c++) {
    k[c] = (scale ? scale[c] : 1.0) / sqrt((double)var[c] + eps);
    k[C + c] = mean[c];
    k[2 * C + c] = offset ? offset[c] : 0.0;
  }
  const long rows = n / C;
  long tasks = (n + MIN_TASK_FLOATS - 1) / MIN_TASK_FLOATS;
  if (tasks > 4L * pm_pool_threads()) tasks = 4L * pm_pool_threads();
  if (tasks > rows) tasks = rows;
  affine_job j = {x, y, k, k + C, k + 2 * C, rows, C, tasks < 1 ? 1 : (int)tasks};
  if (rows > 0) pm_pool_run(affine_task, &j, j.ntasks);
  free(k);
  return 0;
}
