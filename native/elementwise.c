/*
 * Elementwise binary ops with the broadcasts BatchNorm and residual blocks
 * need: out[i] = a[i % na] op b[i % nb], where na and nb are n, 1, or the
 * period of a trailing-dims broadcast (a [C] or [1, 1, 1, C] operand).
 */
#include <math.h>
#include "privmed.h"

#define CHUNK (64 * 1024)

typedef struct {
  int op;
  const float *a, *b;
  float *out;
  long na, nb, n;
} ew_job;

/* One operand streams, the other repeats with period p starting at phase k0. */
#define EW_LOOP(OPEXPR)                                                   \
  for (long i = i0; i < i1;) {                                            \
    long ka = i % j->na, kb = i % j->nb;                                  \
    long run = i1 - i;                                                    \
    if (j->na > 1 && j->na - ka < run) run = j->na - ka; /* scalars never wrap */ \
    if (j->nb > 1 && j->nb - kb < run) run = j->nb - kb;                  \
    const float *pa = j->a + ka, *pb = j->b + kb;                         \
    float *po = j->out + i;                                               \
    if (j->na == 1) {                                                     \
      const float x = pa[0];                                              \
      for (long t = 0; t < run; t++) { float y = pb[t]; po[t] = (OPEXPR); } \
    } else if (j->nb == 1) {                                              \
      const float y = pb[0];                                              \
      for (long t = 0; t < run; t++) { float x = pa[t]; po[t] = (OPEXPR); } \
    } else {                                                              \
      for (long t = 0; t < run; t++) { float x = pa[t], y = pb[t]; po[t] = (OPEXPR); } \
    }                                                                     \
    i += run;                                                             \
  }

static void ew_task(void *ctx, int task) {
  ew_job *j = ctx;
  const long i0 = (long)task * CHUNK, i1 = i0 + CHUNK < j->n ? i0 + CHUNK : j->n;
  switch (j->op) {
    case PM_OP_ADD: EW_LOOP(x + y) break;
    case PM_OP_SUB: EW_LOOP(x - y) break;
    case PM_OP_MUL: EW_LOOP(x * y) break;
    default: EW_LOOP(x / y) break;
  }
}

int pm_binary(int op, const float *a, long na, const float *b, long nb, float *out, long n) {
  if (na == 0 || nb == 0 || n % na != 0 || n % nb != 0 || op < PM_OP_ADD || op > PM_OP_DIV) return -1;
  ew_job j = {op, a, b, out, na, nb, n};
  pm_pool_run(ew_task, &j, (int)((n + CHUNK - 1) / CHUNK));
  return 0;
}

/* ReLU's gradient, dx = dy * step(x), NaN in x giving NaN as tfjs-backend-cpu (dy * (x > 0 ? 1 : 0) otherwise). */
typedef struct {
  const float *dy, *x;
  float *dx;
  long n;
} relu_job;

/* A straight-line body (no nested ternary) so that gcc vectorises it: control flow in the loop
 * kept it scalar, with a branch mispredicted on every other element. */
static void relu_grad_range(const float *restrict dy, const float *restrict x, float *restrict dx, long i0, long i1) {
  for (long i = i0; i < i1; i++) {
    const float v = x[i];
    const float s = v > 0 ? 1.0f : 0.0f;
    const float t = v == v ? s : v;
    dx[i] = dy[i] * t;
  }
}

static void relu_grad_task(void *ctx, int task) {
  relu_job *j = ctx;
  const long i0 = (long)task * CHUNK, i1 = i0 + CHUNK < j->n ? i0 + CHUNK : j->n;
  relu_grad_range(j->dy, j->x, j->dx, i0, i1);
}

int pm_relu_grad(const float *dy, const float *x, float *dx, long n) {
  relu_job j = {dy, x, dx, n};
  pm_pool_run(relu_grad_task, &j, (int)((n + CHUNK - 1) / CHUNK));
  return 0;
}

/*
 * One Adam step, in float32 and in tfjs's order of operations (so the result
 * matches tf.train.adam's): m' = m b1 + g (1 - b1), v' = v b2 + g^2 (1 - b2),
 * w' = (m'/c1) / (sqrt(v'/c2) + eps) * -lr + w, with c1, c2 = 1 - b1^t, 1 - b2^t.
 */
typedef struct {
  const float *w, *g, *m, *v;
  float *w2, *m2, *v2;
  float b1, b2, ob1, ob2, nlr, eps, c1, c2;
  long n;
} adam_job;

/* Its own function with restrict arguments: gcc vectorises this loop, not the same loop reading j. */
static void adam_range(const float *restrict pw, const float *restrict pg, const float *restrict pm, const float *restrict pv, float *restrict w2,
                       float *restrict m2, float *restrict v2, long i0, long i1, float b1, float b2, float ob1, float ob2, float nlr, float eps,
                       float c1, float c2) {
  for (long i = i0; i < i1; i++) {
    const float g = pg[i];
    const float m = pm[i] * b1 + g * ob1;
    const float v = pv[i] * b2 + (g * g) * ob2;
    m2[i] = m;
    v2[i] = v;
    w2[i] = ((m / c1) / (sqrtf(v / c2) + eps)) * nlr + pw[i];
  }
}

static void adam_task(void *ctx, int task) {
  adam_job *j = ctx;
  const long i0 = (long)task * CHUNK, i1 = i0 + CHUNK < j->n ? i0 + CHUNK : j->n;
  adam_range(j->w, j->g, j->m, j->v, j->w2, j->m2, j->v2, i0, i1, j->b1, j->b2, j->ob1, j->ob2, j->nlr, j->eps, j->c1, j->c2);
}

int pm_adam(const float *w, const float *g, const float *m, const float *v, float *w2, float *m2, float *v2, long n, double b1, double b2, double lr,
            double eps, double c1, double c2) {
  /* Scalars as tfjs makes them: computed in double, then float32 tensors. */
  adam_job j = {w, g, m, v, w2, m2, v2, (float)b1, (float)b2, (float)(1.0 - b1), (float)(1.0 - b2), (float)(-lr), (float)eps, (float)c1, (float)c2, n};
  pm_pool_run(adam_task, &j, (int)((n + CHUNK - 1) / CHUNK));
  return 0;
}

/* ReLU as tfjs-backend-cpu's Math.max(0, x): NaN stays NaN, -0 gives +0. */
typedef struct {
  const float *x;
  float *y;
  long n;
} unary_job;

static void relu_task(void *ctx, int task) {
  unary_job *j = ctx;
  const long i0 = (long)task * CHUNK, i1 = i0 + CHUNK < j->n ? i0 + CHUNK : j->n;
  const float *restrict x = j->x;
  float *restrict y = j->y;
  for (long i = i0; i < i1; i++) {
    const float v = x[i];
    y[i] = v != v ? v : v > 0 ? v : 0.0f;
  }
}

int pm_relu(const float *x, float *y, long n) {
  unary_job j = {x, y, n};
  pm_pool_run(relu_task, &j, (int)((n + CHUNK - 1) / CHUNK));
  return 0;
}

/* Fill n 32-bit words with one bit pattern (a float32 or int32 constant), multi-threaded. */
typedef struct {
  unsigned int *y;
  unsigned int bits;
  long n;
} fill_job;

static void fill_range(unsigned int *restrict y, unsigned int bits, long i0, long i1) {
  for (long i = i0; i < i1; i++) y[i] = bits;
}

static void fill_task(void *ctx, int task) {
  fill_job *j = ctx;
  const long i0 = (long)task * CHUNK, i1 = i0 + CHUNK < j->n ? i0 + CHUNK : j->n;
  fill_range(j->y, j->bits, i0, i1);
}

int pm_fill32(unsigned int *y, unsigned int bits, long n) {
  fill_job j = {y, bits, n};
  pm_pool_run(fill_task, &j, (int)((n + CHUNK - 1) / CHUNK));
  return 0;
}
