/*
 * A persistent thread pool. Workers spin briefly after a job (kernels of one
 * training step follow each other closely), then sleep on a condition
 * variable, so an idle process burns no CPU.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include "privmed.h"

#define PM_MAX_THREADS 64
#define SPIN_ROUNDS 20000

static pthread_t workers[PM_MAX_THREADS];
static int nthreads = 1;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done = PTHREAD_COND_INITIALIZER;
static atomic_uint generation;
static atomic_int next_task;
static atomic_int busy;
static pm_task_fn job_fn;
static void *job_ctx;
static int job_tasks;

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

static void drain(void) {
  for (;;) {
    int t = atomic_fetch_add_explicit(&next_task, 1, memory_order_relaxed);
    if (t >= job_tasks) return;
    job_fn(job_ctx, t);
  }
}

static void *worker_main(void *arg) {
  (void)arg;
  unsigned seen = atomic_load(&generation);
  for (;;) {
    int spins = 0;
    while (atomic_load_explicit(&generation, memory_order_acquire) == seen && spins < SPIN_ROUNDS) {
      cpu_relax();
      spins++;
    }
    if (atomic_load_explicit(&generation, memory_order_acquire) == seen) {
      pthread_mutex_lock(&mu);
      while (atomic_load(&generation) == seen) pthread_cond_wait(&wake, &mu);
      pthread_mutex_unlock(&mu);
    }
    seen = atomic_load(&generation);
    drain();
    if (atomic_fetch_sub(&busy, 1) == 1) {
      pthread_mutex_lock(&mu);
      pthread_cond_signal(&done);
      pthread_mutex_unlock(&mu);
    }
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
    if (pthread_create(&workers[i], &attr, worker_main, NULL) != 0) break;
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
  job_fn = fn;
  job_ctx = ctx;
  job_tasks = ntasks;
  atomic_store(&next_task, 0);
  atomic_store(&busy, nthreads - 1);
  pthread_mutex_lock(&mu);
  atomic_fetch_add_explicit(&generation, 1, memory_order_release);
  pthread_cond_broadcast(&wake);
  pthread_mutex_unlock(&mu);
  drain();
  int spins = 0;
  while (atomic_load_explicit(&busy, memory_order_acquire) != 0 && spins < SPIN_ROUNDS) {
    cpu_relax();
    spins++;
  }
  if (atomic_load(&busy) != 0) {
    pthread_mutex_lock(&mu);
    while (atomic_load(&busy) != 0) pthread_cond_wait(&done, &mu);
    pthread_mutex_unlock(&mu);
  }
}
