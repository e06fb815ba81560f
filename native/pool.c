/*
 * A persistent thread pool. Workers spin briefly after a job (kernels of one
 * training step follow each other closely), then sleep on a condition
 * variable, so an idle process burns no CPU. A job is done when all its
 * tasks are: the caller never waits for a worker that has not woken up yet
 * (on a loaded machine that could take a whole scheduler slice), it runs the
 * remaining tasks itself.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include "privmed.h"

#define PM_MAX_THREADS 64
#define SPIN_ROUNDS 4000

static int nthreads = 1;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done = PTHREAD_COND_INITIALIZER;
static atomic_uint generation;
/* job id (16 bits) | task count (24 bits) | next task (24 bits): a stale worker cannot take a newer job's task. */
static _Atomic uint64_t ticket;
static atomic_int finished;
static pm_task_fn job_fn;
static void *job_ctx;
static uint32_t job_id;

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

/* Takes the next task of the current job; -1 when none is left. */
static int grab(int *ntasks) {
  uint64_t v = atomic_load_explicit(&ticket, memory_order_acquire);
  for (;;) {
    const int n = (int)((v >> 24) & 0xFFFFFF), t = (int)(v & 0xFFFFFF);
    if (t >= n) return -1;
    if (atomic_compare_exchange_weak_explicit(&ticket, &v, v + 1, memory_order_acq_rel, memory_order_acquire)) {
      *ntasks = n;
      return t;
    }
  }
}

static void drain(void) {
  int n, t;
  while ((t = grab(&n)) >= 0) {
    job_fn(job_ctx, t);
    if (atomic_fetch_add_explicit(&finished, 1, memory_order_acq_rel) + 1 == n) {
      pthread_mutex_lock(&mu);
      pthread_cond_signal(&done);
      pthread_mutex_unlock(&mu);
    }
  }
}

static void *worker_main(void *arg) {
  (void)arg;
  unsigned seen = atomic_load(&generation);
  for (;;) {
    for (int spins = 0; atomic_load_explicit(&generation, memory_order_acquire) == seen && spins < SPIN_ROUNDS; spins++) cpu_relax();
    if (atomic_load_explicit(&generation, memory_order_acquire) == seen) {
      pthread_mutex_lock(&mu);
      while (atomic_load(&generation) == seen) pthread_cond_wait(&wake, &mu);
      pthread_mutex_unlock(&mu);
    }
    seen = atomic_load(&generation);
    drain();
  }
  return NULL;
}

int pm_pool_start(int threads) {
  if (threads < 1) threads = 1;
  if (threads > PM_MAX_THREADS) threads = PM_MAX_THREADS;
  if (nthreads > 1 || threads == 1) return nthreads; /* started once per process */
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  int started = 1;
  for (int i = 1; i < threads; i++) {
    pthread_t th;
    if (pthread_create(&th, &attr, worker_main, NULL) != 0) break;
    started++;
  }
  pthread_attr_destroy(&attr);
  nthreads = started;
  return nthreads;
}

int pm_pool_threads(void) { return nthreads; }

void pm_pool_run(pm_task_fn fn, void *ctx, int ntasks) {
  if (ntasks <= 0) return;
  if (nthreads == 1 || ntasks == 1) {
    for (int t = 0; t < ntasks; t++) fn(ctx, t);
    return;
  }
  if (ntasks > 0xFFFFFF) ntasks = 0xFFFFFF; /* callers keep task counts far below this */
  job_fn = fn;
  job_ctx = ctx;
  job_id = (job_id + 1) & 0xFFFF;
  atomic_store(&finished, 0);
  atomic_store_explicit(&ticket, ((uint64_t)job_id << 48) | ((uint64_t)ntasks << 24), memory_order_release);
  pthread_mutex_lock(&mu);
  atomic_fetch_add_explicit(&generation, 1, memory_order_release);
  pthread_cond_broadcast(&wake);
  pthread_mutex_unlock(&mu);
  drain();
  for (int spins = 0; atomic_load_explicit(&finished, memory_order_acquire) < ntasks && spins < SPIN_ROUNDS; spins++) cpu_relax();
  if (atomic_load(&finished) < ntasks) {
    pthread_mutex_lock(&mu);
    while (atomic_load(&finished) < ntasks) pthread_cond_wait(&done, &mu);
    pthread_mutex_unlock(&mu);
  }
}
