/*
 * DP-SGD's per-sample clipping and clipped sum, in double, in the same order
 * of operations as src/dp/sgd/clipping.ts (ClippedSum.add, one sample after
 * another), so the results are bit for bit those of the JavaScript loop:
 * a sample's squared norm per variable is one running sum in element order;
 * each sum element adds scale * g sample after sample. A sample with a
 * non-finite norm in any group adds nothing. Tasks: (sample, variable) pairs
 * for the norms, element chunks of each variable for the sums.
 *
 * A dense kernel may come factored (ghost clipping): a [B, n] and d [B, u],
 * sample b's gradient being the outer product a_b d_b^T. Its squared norm is
 * |a_b|^2 |d_b|^2 and its clipped contribution (s_b a_bi) d_bj, in double, as
 * ClippedSum does for OuterRows; the B x n x u products are never stored.
 */
#include <math.h>
#include <stdlib.h>
#include "privmed.h"

#define SUM_CHUNK 4096

typedef struct {
  const float *const *rows; /* rows[v]: B x sizes[v] floats, or B x outer_n[v] for a factored variable */
  const float *const *outer_d; /* outer_d[v]: B x (sizes[v] / outer_n[v]) floats, or NULL */
  const long *outer_n;
  const long *sizes;
  double *const *sums;
  const int *group;
  double *sq;          /* [B][V] */
  const double *scale; /* [B][G], only for kept samples */
  const int *kept;     /* kept sample indices */
  int nkept, B, V, G;
  const long *chunk_start; /* first task of variable v (pass 2) */
} clip_job;

static double sumsq(const float *restrict g, long n) {
  double s = 0;
  for (long i = 0; i < n; i++) s += (double)g[i] * g[i];
  return s;
}

static void norm_task(void *ctx, int task) {
  clip_job *j = ctx;
  const int b = task / j->V, v = task % j->V;
  if (j->outer_d[v]) {
    const long n = j->outer_n[v], u = n > 0 ? j->sizes[v] / n : 0;
    j->sq[(long)b * j->V + v] = sumsq(j->rows[v] + (long)b * n, n) * sumsq(j->outer_d[v] + (long)b * u, u);
  } else {
    j->sq[(long)b * j->V + v] = sumsq(j->rows[v] + (long)b * j->sizes[v], j->sizes[v]);
  }
}

/* Elements [i0, i1) of a factored variable: whole rows of the [n, u] matrix (chunks are row-aligned). */
static void outer_sum(const clip_job *j, int v, long i0, long i1) {
  const long n = j->outer_n[v], u = j->sizes[v] / n;
  double *restrict sum = j->sums[v];
  for (int k = 0; k < j->nkept; k++) {
    const int b = j->kept[k];
    const double s = j->scale[(long)b * j->G + j->group[v]];
    const float *restrict a = j->rows[v] + (long)b * n, *restrict d = j->outer_d[v] + (long)b * u;
    for (long r = i0 / u; r < i1 / u; r++) {
      const double sa = s * a[r];
      double *restrict out = sum + r * u;
      for (long c = 0; c < u; c++) out[c] += sa * d[c];
    }
  }
}

/* Elements per sum task: SUM_CHUNK, rounded to whole rows for a factored variable. */
static long chunk_of(const clip_job *j, int v) {
  if (!j->outer_d[v]) return SUM_CHUNK;
  const long u = j->sizes[v] / j->outer_n[v];
  return u * (SUM_CHUNK / u > 0 ? SUM_CHUNK / u : 1);
}

static void sum_task(void *ctx, int task) {
  clip_job *j = ctx;
  int v = 0;
  while (v + 1 < j->V && j->chunk_start[v + 1] <= task) v++;
  const long n = j->sizes[v], chunk = chunk_of(j, v), i0 = (task - j->chunk_start[v]) * chunk, i1 = i0 + chunk < n ? i0 + chunk : n;
  if (j->outer_d[v]) {
    outer_sum(j, v, i0, i1);
    return;
  }
  double *restrict sum = j->sums[v];
  for (int k = 0; k < j->nkept; k++) {
    const int b = j->kept[k];
    const double s = j->scale[(long)b * j->G + j->group[v]];
    const float *restrict g = j->rows[v] + (long)b * n;
    for (long i = i0; i < i1; i++) sum[i] += s * g[i];
  }
}

int pm_clip_sum(const float *const *rows, const float *const *outer_d, const long *outer_n, const long *sizes, const int *group, const double *bounds,
                int V, int G, int B, double *const *sums, unsigned char *kept_out) {
  if (V < 1 || G < 1 || B < 0) return -1;
  for (int v = 0; v < V; v++) {
    if (group[v] < 0 || group[v] >= G || sizes[v] < 0) return -1;
    if (outer_d[v] && (outer_n[v] < 1 || sizes[v] < 1 || sizes[v] % outer_n[v] != 0)) return -1;
  }
  double *sq = malloc(sizeof(double) * ((size_t)B * V + (size_t)B * G + 1));
  int *kept = malloc(sizeof(int) * ((size_t)B + 1));
  long *chunk_start = malloc(sizeof(long) * ((size_t)V + 1));
  if (!sq || !kept || !chunk_start) {
    free(sq), free(kept), free(chunk_start);
    return -1;
  }
  double *scale = sq + (size_t)B * V, sqg[PM_CLIP_MAX_GROUPS];
  clip_job j = {.rows = rows, .outer_d = outer_d, .outer_n = outer_n, .sizes = sizes, .sums = sums, .group = group, .sq = sq, .scale = scale, .kept = kept, .B = B, .V = V, .G = G};
  if (G > PM_CLIP_MAX_GROUPS) {
    free(sq), free(kept), free(chunk_start);
    return -1;
  }
  if (B > 0) pm_pool_run(norm_task, &j, B * V);
  int nkept = 0;
  for (int b = 0; b < B; b++) {
    for (int k = 0; k < G; k++) sqg[k] = 0;
    for (int v = 0; v < V; v++) sqg[group[v]] += sq[(long)b * V + v];
    int ok = 1;
    for (int k = 0; k < G && ok; k++) {
      const double norm = sqrt(sqg[k]);
      if (!isfinite(norm)) ok = 0;
      else scale[(long)b * G + k] = norm > bounds[k] ? bounds[k] / norm : 1;
    }
    kept_out[b] = (unsigned char)ok;
    if (ok) kept[nkept++] = b;
  }
  j.nkept = nkept;
  long tasks = 0;
  for (int v = 0; v < V; v++) {
    chunk_start[v] = tasks;
    const long chunk = chunk_of(&j, v);
    tasks += (sizes[v] + chunk - 1) / chunk;
  }
  chunk_start[V] = tasks;
  j.chunk_start = chunk_start;
  if (nkept > 0 && tasks > 0) pm_pool_run(sum_task, &j, (int)tasks);
  free(sq), free(kept), free(chunk_start);
  return 0;
}

/*
 * The grid Gaussian's release (src/dp/mechanisms/grid-gaussian.ts) for
 * DP-SGD, scaled to float32: out[i] = (float)((round(f[i] / grid) + noise[i])
 * * grid / divisor), round() as JavaScript's Math.round (half up), the same
 * double operations in the same order as the JavaScript loop (no contraction
 * under -std=c11), so the same floats. Returns -1, or the first index whose
 * f[i] / grid is not finite or not below 2^50 in magnitude (out is then not
 * to be used).
 */
#define RELEASE_CHUNK 16384

typedef struct {
  const double *f, *noise;
  float *out;
  long n, *bad; /* first bad index per task */
  double grid, divisor;
} release_job;

static void release_task(void *ctx, int task) {
  release_job *j = ctx;
  const long i0 = (long)task * RELEASE_CHUNK, i1 = i0 + RELEASE_CHUNK < j->n ? i0 + RELEASE_CHUNK : j->n;
  long bad = -1;
  for (long i = i0; i < i1; i++) {
    const double x = j->f[i] / j->grid;
    double r = floor(x);
    if (x - r >= 0.5) r += 1.0;
    if (!(fabs(r) < 1125899906842624.0) && bad < 0) bad = i; /* 2^50 */
    j->out[i] = (float)((r + j->noise[i]) * j->grid / j->divisor);
  }
  j->bad[task] = bad;
}

long pm_grid_release(const double *f, const double *noise, long n, double grid, double divisor, float *out) {
  if (n <= 0) return -1;
  const long tasks = (n + RELEASE_CHUNK - 1) / RELEASE_CHUNK;
  if (tasks > 0x7FFFFF) return 0;
  long *bad = malloc(sizeof(long) * (size_t)tasks);
  if (!bad) return 0;
  release_job j = {f, noise, out, n, bad, grid, divisor};
  pm_pool_run(release_task, &j, (int)tasks);
  long first = -1;
  for (long t = 0; t < tasks && first < 0; t++) first = bad[t];
  free(bad);
  return first;
}
