/* Max pooling forward, NHWC, any window, stride and padding. As tfjs-backend-cpu: padding never
 * wins, NaN never wins, a window without a pixel gives -Infinity. */
#include <math.h>
#include "privmed.h"

typedef struct {
  const float *x;
  float *y;
  int N, H, W, C, OH, OW, fh, fw, sy, sx, pt, pl, ntasks;
} mp_job;

/* out = in > out ? in : out (NaN in never wins); its own function so that gcc vectorises it. */
static void max_into(float *restrict out, const float *restrict in, int C) {
  for (int c = 0; c < C; c++) out[c] = in[c] > out[c] ? in[c] : out[c];
}

static void mp_task(void *ctx, int task) {
  mp_job *j = ctx;
  const long R = (long)j->N * j->OH;
  for (long row = R * task / j->ntasks; row < R * (task + 1) / j->ntasks; row++) {
    const long b = row / j->OH, oy = row % j->OH;
    for (int ox = 0; ox < j->OW; ox++) {
      float *out = j->y + (row * j->OW + ox) * j->C;
      for (int c = 0; c < j->C; c++) out[c] = -INFINITY;
      for (int kh = 0; kh < j->fh; kh++) {
        const long iy = oy * j->sy - j->pt + kh;
        if (iy < 0 || iy >= j->H) continue;
        for (int kw = 0; kw < j->fw; kw++) {
          const long ix = (long)ox * j->sx - j->pl + kw;
          if (ix < 0 || ix >= j->W) continue;
          max_into(out, j->x + ((b * j->H + iy) * j->W + ix) * j->C, j->C);
        }
      }
    }
  }
}

int pm_max_pool(const float *x, float *y, int N, int H, int W, int C, int OH, int OW, int fh, int fw, int sy, int sx, int pt, int pl) {
  const long R = (long)N * OH;
  mp_job j = {x, y, N, H, W, C, OH, OW, fh, fw, sy, sx, pt, pl, (int)(R < 8L * pm_pool_threads() ? R : 8L * pm_pool_threads())};
  if (R == 0) return 0;
  pm_pool_run(mp_task, &j, j.ntasks);
  return 0;
}

/* MaxPoolGrad: dy goes to each window's arg-max, the first strictly greater value in row-major window
 * order starting from -Infinity (so NaN and -Infinity never win), as tfjs-backend-cpu. Tasks are
 * samples: windows overlap only within one. */
#include <stdlib.h>
#include <string.h>

typedef struct {
  const float *x, *dy;
  float *dx;
  int N, H, W, C, OH, OW, fh, fw, sy, sx, pt, pl;
} mpg_job;

/* The window's running arg-max per channel, branch-free so that gcc vectorises it; where is the
 * pixel offset within the sample (int, as wide as a float lane). */
static void argmax_into(float *restrict best, int *restrict where, const float *restrict x, int base, int C) {
  for (int c = 0; c < C; c++) {
    const float v = x[c], b0 = best[c];
    const int w0 = where[c];
    const int gt = -(v > b0); /* all ones or zero: a lane mask */
    best[c] = v > b0 ? v : b0;
    where[c] = ((base + c) & gt) | (w0 & ~gt);
  }
}

static void mpg_task(void *ctx, int b) {
  mpg_job *j = ctx;
  const int C = j->C;
  float *dx = j->dx + (long)b * j->H * j->W * C;
  const float *x = j->x + (long)b * j->H * j->W * C;
  memset(dx, 0, sizeof(float) * j->H * j->W * C);
  float *best = malloc(sizeof(float) * C);
  int *where = malloc(sizeof(int) * C);
  if (!best || !where) abort(); /* C floats: cannot fail in practice */
  const float *dy = j->dy + (long)b * j->OH * j->OW * C;
  for (int oy = 0; oy < j->OH; oy++)
    for (int ox = 0; ox < j->OW; ox++, dy += C) {
      for (int c = 0; c < C; c++) {
        best[c] = -INFINITY;
        where[c] = -1;
      }
      for (int kh = 0; kh < j->fh; kh++) {
        const int iy = oy * j->sy - j->pt + kh;
        if (iy < 0 || iy >= j->H) continue;
        for (int kw = 0; kw < j->fw; kw++) {
          const int ix = ox * j->sx - j->pl + kw;
          if (ix < 0 || ix >= j->W) continue;
          const int base = (iy * j->W + ix) * C;
          argmax_into(best, where, x + base, base, C);
        }
      }
      for (int c = 0; c < C; c++)
        if (where[c] >= 0) dx[where[c]] += dy[c];
    }
  free(best);
  free(where);
}

int pm_max_pool_grad(const float *x, const float *dy, float *dx, int N, int H, int W, int C, int OH, int OW, int fh, int fw, int sy, int sx, int pt,
                     int pl) {
  if ((long)H * W * C > 0x7fffffffL) return -1; /* offsets within a sample are int */
  mpg_job j = {x, dy, dx, N, H, W, C, OH, OW, fh, fw, sy, sx, pt, pl};
  pm_pool_run(mpg_task, &j, N);
  return 0;
}
