/*
 * The exact discrete Gaussian of scale 2^m (Canonne, Kamath & Steinke 2020,
 * Algorithm 3 with Algorithms 1-2 inlined, as src/dp/mechanisms/lazy-gaussian.ts)
 * from a ChaCha20 keystream (RFC 8439) keyed by node:crypto.
 *
 * Every Bernoulli trial compares a uniform real with the exact binary
 * expansion of its probability, lazily: the first random bit that differs
 * from the expansion decides, so a trial costs about two random bits instead
 * of a whole k-bit integer, and the outcome has exactly the probability of
 * the algorithm (n / 2^k, or 1 / K through exact long division). Random bits
 * are consumed most significant first from the keystream's 32-bit
 * little-endian words; the JavaScript sampler reads the same stream the same
 * way, so for one key both give the same numbers (a test checks it).
 *
 * Samples come in chunks of PM_NOISE_CHUNK, chunk c from its own stream
 * (nonce = c, counter from 0), so the thread pool can draw them in parallel
 * and the result does not depend on the thread count.
 */
#include <stdint.h>
#include <string.h>
#include "privmed.h"

#define LANES 8
#define BUF_WORDS (16 * LANES)

typedef struct {
  uint32_t key[8], nonce[3], counter;
  uint32_t buf[BUF_WORDS];
  int pos;
  uint64_t pool; /* unread bits, left-aligned */
  int avail;
} bits_t;

#define ROTL(v, n) (((v) << (n)) | ((v) >> (32 - (n))))
#define QR(a, b, c, d)                                      \
  for (int l = 0; l < LANES; l++) {                          \
    x[a][l] += x[b][l], x[d][l] ^= x[a][l], x[d][l] = ROTL(x[d][l], 16); \
    x[c][l] += x[d][l], x[b][l] ^= x[c][l], x[b][l] = ROTL(x[b][l], 12); \
    x[a][l] += x[b][l], x[d][l] ^= x[a][l], x[d][l] = ROTL(x[d][l], 8);  \
    x[c][l] += x[d][l], x[b][l] ^= x[c][l], x[b][l] = ROTL(x[b][l], 7);  \
  }

/* Eight ChaCha20 blocks (counters counter..counter+7), lane-parallel so the compiler vectorises them. */
#define CHACHA8_BODY                                                                                 \
  uint32_t x[16][LANES], in[16][LANES];                                                              \
  static const uint32_t sigma[4] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};                 \
  for (int l = 0; l < LANES; l++) {                                                                  \
    for (int i = 0; i < 4; i++) in[i][l] = sigma[i];                                                 \
    for (int i = 0; i < 8; i++) in[4 + i][l] = s->key[i];                                            \
    in[12][l] = s->counter + (uint32_t)l;                                                            \
    for (int i = 0; i < 3; i++) in[13 + i][l] = s->nonce[i];                                         \
  }                                                                                                  \
  memcpy(x, in, sizeof x);                                                                           \
  for (int r = 0; r < 10; r++) {                                                                     \
    QR(0, 4, 8, 12) QR(1, 5, 9, 13) QR(2, 6, 10, 14) QR(3, 7, 11, 15);                               \
    QR(0, 5, 10, 15) QR(1, 6, 11, 12) QR(2, 7, 8, 13) QR(3, 4, 9, 14);                               \
  }                                                                                                  \
  for (int l = 0; l < LANES; l++)                                                                    \
    for (int i = 0; i < 16; i++) s->buf[l * 16 + i] = x[i][l] + in[i][l];                            \
  s->counter += LANES;

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2"))) static void chacha8_avx2(bits_t *s) { CHACHA8_BODY }
#endif
static void chacha8_plain(bits_t *s) { CHACHA8_BODY }

static int use_avx2 = -1;

static void refill(bits_t *s) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (use_avx2 < 0) use_avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
  if (use_avx2) chacha8_avx2(s);
  else
#endif
    chacha8_plain(s);
  s->pos = 0;
}

static inline uint32_t next_word(bits_t *s) {
  if (s->pos == BUF_WORDS) refill(s);
  return s->buf[s->pos++];
}

/* Keeps at least 33 unread bits in the pool. */
static inline void top_up(bits_t *s) {
  if (s->avail <= 32) {
    s->pool |= (uint64_t)next_word(s) << (32 - s->avail);
    s->avail += 32;
  }
}

static inline void consume(bits_t *s, int n) {
  s->pool <<= n;
  s->avail -= n;
}

/* The next k <= 32 bits as an integer. */
static inline uint32_t take(bits_t *s, int k) {
  if (k == 0) return 0;
  top_up(s);
  uint32_t v = (uint32_t)(s->pool >> (64 - k));
  consume(s, k);
  return v;
}

/* Compares the next len <= 32 random bits with chunk: 1 if they are smaller, 0 if larger, -1 if equal (all consumed). */
static inline int cmp_bits(bits_t *s, uint32_t chunk, int len) {
  if (len == 0) return -1;
  top_up(s);
  const uint64_t r = s->pool >> (64 - len), d = r ^ chunk;
  if (d == 0) {
    consume(s, len);
    return -1;
  }
  const int p = __builtin_clzll(d) - (64 - len); /* first differing bit, from the top */
  consume(s, p + 1);
  return (int)((chunk >> (len - 1 - p)) & 1);
}

/* Bernoulli(n / 2^k), 0 <= n < 2^k, k <= 53. */
static inline int below_pow2(bits_t *s, uint64_t n, int k) {
  if (k > 32) {
    int r = cmp_bits(s, (uint32_t)(n >> 32), k - 32);
    if (r >= 0) return r;
    return cmp_bits(s, (uint32_t)n, 32) == 1;
  }
  return cmp_bits(s, (uint32_t)n, k) == 1;
}

/* The first 32 bits of 1/K and the remainder after them, for the small K the loops reach (no division). */
#define SMALL_K 64
static uint32_t inv_first[SMALL_K], inv_rem[SMALL_K];
static void init_inverses(void) {
  if (inv_first[2]) return;
  for (uint64_t K = 2; K < SMALL_K; K++) inv_first[K] = (uint32_t)(((uint64_t)1 << 32) / K), inv_rem[K] = (uint32_t)(((uint64_t)1 << 32) % K);
}

/* Bernoulli(1 / K): the expansion of 1/K by long division, 32 bits at a time. */
static inline int one_over(bits_t *s, uint64_t K) {
  if (K == 1) return 1;
  uint64_t rem;
  if (K < SMALL_K) {
    const int r = cmp_bits(s, inv_first[K], 32);
    if (r >= 0) return r;
    rem = inv_rem[K];
  } else rem = 1;
  for (;;) {
    const uint64_t num = rem << 32;
    const int r = cmp_bits(s, (uint32_t)(num / K), 32);
    if (r >= 0) return r;
    rem = num % K;
  }
}

/* Bernoulli(exp(-1)): K counts successes of Bernoulli(1/K) from K = 2; exp(-1) = P(K odd). */
static inline int exp_minus_one(bits_t *s) {
  uint64_t K = 2;
  while (one_over(s, K)) K++;
  return (int)(K & 1);
}

static int exp_integer(bits_t *s, uint64_t n) {
  for (uint64_t i = 0; i < n; i++)
    if (!exp_minus_one(s)) return 0;
  return 1;
}

/* Bernoulli(exp(-n / 2^k)), 0 <= n < 2^k. */
static inline int exp_fraction(bits_t *s, uint64_t n, int k) {
  if (n == 0) return 1;
  uint64_t K = 1;
  while (below_pow2(s, n, k) && one_over(s, K)) K++;
  return (int)(K & 1);
}

/* Bernoulli(exp(-a^2 / (2 t^2))), t = 2^m. */
static int accept(bits_t *s, uint64_t a, int m) {
  const uint64_t t = (uint64_t)1 << m;
  const int sq = 2 * m + 1;
  if (a < t) return exp_fraction(s, a * a, sq);
  const uint64_t h = a >> m, l = a & (t - 1), hh = h * h, hl = h * l;
  return exp_integer(s, hh / 2) && (hh % 2 == 0 || exp_fraction(s, t * t, sq)) && exp_integer(s, hl >> m) &&
         exp_fraction(s, hl & (t - 1), m) && exp_fraction(s, l * l, sq);
}

static int64_t sample(bits_t *s, int m) {
  const int64_t t = (int64_t)1 << m;
  for (;;) {
    const uint32_t u = take(s, m);
    if (!exp_fraction(s, u, m)) continue;
    int64_t v = 0;
    while (exp_minus_one(s)) v++;
    const int64_t y = (int64_t)u + t * v;
    const int negative = (int)take(s, 1);
    if (negative && y == 0) continue;
    if (accept(s, (uint64_t)(y >= t ? y - t : t - y), m)) return negative ? -y : y;
  }
}

typedef struct {
  const uint32_t *key;
  int m;
  double *out;
  long n;
} noise_job;

static void noise_task(void *ctx, int task) {
  const noise_job *j = ctx;
  bits_t s;
  memcpy(s.key, j->key, sizeof s.key);
  s.nonce[0] = (uint32_t)task, s.nonce[1] = 0, s.nonce[2] = 0;
  s.counter = 0;
  s.pos = BUF_WORDS;
  s.pool = 0, s.avail = 0;
  const long i0 = (long)task * PM_NOISE_CHUNK, i1 = i0 + PM_NOISE_CHUNK < j->n ? i0 + PM_NOISE_CHUNK : j->n;
  for (long i = i0; i < i1; i++) j->out[i] = (double)sample(&s, j->m);
}

int pm_discrete_gaussian(const uint32_t key[8], int m, double *out, long n) {
  if (m < 0 || m > PM_NOISE_MAX_LOG2 || n < 0 || (n + PM_NOISE_CHUNK - 1) / PM_NOISE_CHUNK > (1L << 24)) return -1;
  init_inverses();
  noise_job j = {.key = key, .m = m, .out = out, .n = n};
  const long tasks = (n + PM_NOISE_CHUNK - 1) / PM_NOISE_CHUNK;
  if (tasks > 0) pm_pool_run(noise_task, &j, (int)tasks);
  return 0;
}

/* The raw keystream words of chunk c (tests compare it with node:crypto's chacha20). */
void pm_chacha_words(const uint32_t key[8], uint32_t c, uint32_t *out, long n) {
  bits_t s;
  memcpy(s.key, key, sizeof s.key);
  s.nonce[0] = c, s.nonce[1] = 0, s.nonce[2] = 0;
  s.counter = 0;
  s.pos = BUF_WORDS;
  for (long i = 0; i < n; i++) out[i] = next_word(&s);
}
