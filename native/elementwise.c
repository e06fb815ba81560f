/*
 * Elementwise binary ops with the broadcasts BatchNorm and residual blocks
 * need: out[i] = a[i % na] op b[i % nb], where na and nb are n, 1, or the
 * period of a trailing-dims broadcast (a [C] or [1, 1, 1, C] operand).
 */
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
