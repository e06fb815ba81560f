/*
 * DP-SGD's noise drawn ahead of its release (noise.c's sampler, the same
 * values as a draw at once for the same key).
 *
 * The thread runs at SCHED_IDLE (Linux): it takes
 * only CPU time nothing else in the machine wants, so it never slows the step
 * it overlaps, and whatever it has not drawn when the values are needed is
 * drawn then on the pool. It writes into its own buffer, chunk by chunk; the
 * collector takes each chunk exactly once: a finished one from that buffer,
 * any other (not started, or in progress: at SCHED_IDLE on a busy machine the
 * thread may not run again for a long time) it draws itself from the chunk's
 * own stream, so the values are the same whoever draws them and the collector
 * never waits for the thread. The job is freed by whichever of the handle and
 * the thread lets go of it last.
 */
#define _GNU_SOURCE /* SCHED_IDLE */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "privmed.h"

enum { CH_FREE, CH_BACKGROUND, CH_DONE, CH_TAKEN };

struct pm_noise {
  uint32_t key[8];
  int m;
  long n, chunks;
  double *bg;                   /* the thread's values */
  _Atomic unsigned char *state; /* per chunk */
  atomic_long next;             /* next chunk the thread tries */
  atomic_int refs;              /* the handle and the thread */
  int collected;
};

static void release(pm_noise *j) {
  if (atomic_fetch_sub_explicit(&j->refs, 1, memory_order_acq_rel) != 1) return;
  if (j->bg) memset(j->bg, 0, sizeof(double) * (size_t)j->n), free(j->bg);
  free((void *)j->state);
  memset(j->key, 0, sizeof j->key);
  free(j);
}

static void *background(void *ctx) {
  pm_noise *j = ctx;
#if defined(__linux__) && defined(SCHED_IDLE)
  struct sched_param idle = {0};
  pthread_setschedparam(pthread_self(), SCHED_IDLE, &idle);
#endif
  for (long c; (c = atomic_fetch_add(&j->next, 1)) < j->chunks;) {
    unsigned char free_ = CH_FREE;
    if (!atomic_compare_exchange_strong(&j->state[c], &free_, CH_BACKGROUND)) continue;
    pm_noise_chunk(j->key, j->m, j->n, c, j->bg);
    unsigned char mine = CH_BACKGROUND; /* fails when the collector took the chunk over */
    atomic_compare_exchange_strong_explicit(&j->state[c], &mine, CH_DONE, memory_order_release, memory_order_relaxed);
  }
  release(j);
  return NULL;
}

pm_noise *pm_noise_start(const uint32_t key[8], int m, long n) {
  if (!pm_noise_valid(m, n) || (n + PM_NOISE_CHUNK - 1) / PM_NOISE_CHUNK > 0x7FFFFF) return NULL;
  pm_noise *j = calloc(1, sizeof *j);
  if (!j) return NULL;
  j->chunks = (n + PM_NOISE_CHUNK - 1) / PM_NOISE_CHUNK;
  j->bg = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
  j->state = calloc((size_t)j->chunks + 1, 1);
  if (!j->bg || !j->state) {
    free(j->bg), free((void *)j->state), free(j);
    return NULL;
  }
  memcpy(j->key, key, sizeof j->key);
  j->m = m, j->n = n;
  atomic_init(&j->next, 0);
  atomic_init(&j->refs, 2);
  pthread_attr_t attr;
  pthread_t thread;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  if (pthread_create(&thread, &attr, background, j) != 0) atomic_store(&j->refs, 1); /* the collector draws everything */
  pthread_attr_destroy(&attr);
  return j;
}

typedef struct {
  pm_noise *j;
  double *out;
} collect_job;

static void collect_task(void *ctx, int c) {
  const collect_job *k = ctx;
  pm_noise *j = k->j;
  unsigned char st = atomic_load_explicit(&j->state[c], memory_order_acquire);
  /* Not started or in progress: take it over (CAS), else it is done. */
  while (st != CH_DONE && !atomic_compare_exchange_weak_explicit(&j->state[c], &st, CH_TAKEN, memory_order_acq_rel, memory_order_acquire)) {
  }
  const long i0 = (long)c * PM_NOISE_CHUNK, len = (i0 + PM_NOISE_CHUNK < j->n ? PM_NOISE_CHUNK : j->n - i0);
  if (st == CH_DONE) {
    memcpy(k->out + i0, j->bg + i0, sizeof(double) * (size_t)len);
    memset(j->bg + i0, 0, sizeof(double) * (size_t)len);
  } else {
    pm_noise_chunk(j->key, j->m, j->n, c, k->out);
  }
}

/* Collects the draw (once): finished chunks from the thread's buffer, the rest drawn now on the pool. */
int pm_noise_wait(pm_noise *j, double *out, long n) {
  if (j->collected || n != j->n) return -1;
  j->collected = 1;
  atomic_store(&j->next, j->chunks); /* the thread starts no new chunk */
  collect_job k = {j, out};
  if (j->chunks > 0) pm_pool_run(collect_task, &k, (int)j->chunks);
  return 0;
}

void pm_noise_free(pm_noise *j) {
  atomic_store(&j->next, j->chunks);
  release(j);
}

